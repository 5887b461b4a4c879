package gateway

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/preview"
	"github.com/drayhq/dray/pkg/promote"
	"github.com/drayhq/dray/pkg/store"
	"github.com/drayhq/dray/pkg/window"
	"github.com/drayhq/dray/services/gateway/ui"
)

// web serves the UI's pages (docs/ui.md). Its pages read what the API's GET routes read, and
// its actions are htmx requests to the API routes themselves, so a UI action runs the API's
// code with the signed-in identity: the same checks, the same audit record.
type web struct {
	a *api
	r *ui.Renderer
}

// webRoutes registers the UI. Pages are routes like the API's, declared with the perm of the
// API route that reads the same data, marked page() for browsers (web.go).
func (a *api) webRoutes(mux *checkedMux) {
	r, err := ui.NewRenderer()
	if err != nil {
		panic("gateway: " + err.Error()) // the templates are embedded: a test catches this
	}
	u := &web{a: a, r: r}
	mux.pageError = renderError(r)
	mux.Handle("GET /assets/", public(), ui.Assets())
	mux.HandleFunc("GET /login", public(), u.loginPage)
	mux.HandleFunc("POST /login", public(), u.login)
	mux.HandleFunc("POST /logout", public(), u.logout)
	mux.HandleFunc("GET /{$}", anyIdentity().page(), u.connected(u.projects))
	mux.HandleFunc("GET /projects/{project}", need(access.VerbList, access.ResourceStages).page(), u.connected(u.pipeline))
	mux.HandleFunc("GET /projects/{project}/events", need(access.VerbList, access.ResourceStages).page(), u.events)
	mux.HandleFunc("GET /projects/{project}/stages/{name}/card", need(access.VerbGet, access.ResourceStages).page(), u.connected(u.card))
	mux.HandleFunc("GET /projects/{project}/stages/{name}/promote", need(access.VerbPromote, access.ResourceStages).page(), u.connected(u.promoteDialog))
	mux.HandleFunc("GET /projects/{project}/stages/{name}/preview", need(access.VerbPromote, access.ResourceStages).page(), u.connected(u.preview))
	mux.HandleFunc("GET /projects/{project}/freight", need(access.VerbList, access.ResourceFreight).page(), u.connected(u.freight))
	mux.HandleFunc("GET /projects/{project}/freight-strip", need(access.VerbList, access.ResourceFreight).page(), u.connected(u.strip))
	mux.HandleFunc("GET /projects/{project}/freight/{name}", need(access.VerbGet, access.ResourceFreight).page(), u.connected(u.freightDetail))
	mux.HandleFunc("GET /projects/{project}/promotions/{name}", need(access.VerbGet, access.ResourcePromotions).page(), u.connected(u.promotion))
	mux.HandleFunc("GET /projects/{project}/promotions/{name}/steps", need(access.VerbGet, access.ResourcePromotions).page(), u.connected(u.steps))
}

// connected answers 503 at once, naming NATS, while the gateway has no connection to it:
// a page then says Dray cannot answer right now instead of waiting for its reads to time out.
func (u *web) connected(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if nc := u.a.Bus.Conn; nc != nil && !nc.IsConnected() {
			fail(w, fmt.Errorf("the gateway is not connected to NATS (%s); it reconnects by itself", strings.ToLower(nc.Status().String())))
			return
		}
		h(w, r)
	}
}

func (u *web) page(w http.ResponseWriter, r *http.Request, name, title, tab string, body any) {
	u.r.Page(w, http.StatusOK, name, ui.Page{Title: title, User: identity(r).Actor(), CSRF: csrfOf(r), Project: r.PathValue("project"), Tab: tab, Body: body})
}

// fail answers err as the API would; the page route's writer renders it (web.go).
func fail(w http.ResponseWriter, err error) {
	status := http.StatusServiceUnavailable
	if errors.Is(err, store.ErrNotFound) {
		status = http.StatusNotFound
	}
	writeError(w, status, err)
}

type loginBody struct {
	Error, Return string
	OIDC          bool
	// CSRF is the login form's token (websession.go).
	CSRF string
}

func (u *web) loginPage(w http.ResponseWriter, r *http.Request) {
	u.loginForm(w, http.StatusOK, loginBody{Return: localPath(r.URL.Query().Get("return"))})
}

// loginForm renders the login page with a new form token.
func (u *web) loginForm(w http.ResponseWriter, status int, body loginBody) {
	tok, err := u.a.auth.loginFormToken(w)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body.CSRF, body.OIDC = tok, u.a.auth.oidc.Load() != nil
	u.r.Page(w, status, "login", ui.Page{Title: "Sign in", Body: body})
}

// login signs in with the API token typed on the login page, when the form is the one
// loginPage served (its CSRF token matches the sealed cookie).
func (u *web) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	ret := cmp.Or(localPath(r.PostFormValue("return")), "/")
	if err := u.a.auth.checkLoginForm(r, r.PostFormValue("csrf")); err != nil {
		u.loginForm(w, http.StatusForbidden, loginBody{Error: err.Error(), Return: ret})
		return
	}
	id, err := u.a.auth.signInWithToken(w, strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		u.loginForm(w, http.StatusUnauthorized, loginBody{Error: err.Error(), Return: ret})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginFormCookie, Path: "/login", MaxAge: -1, HttpOnly: true, Secure: u.a.auth.secure, SameSite: http.SameSiteStrictMode})
	u.a.Log.Info("signed in to the UI", "actor", id.Actor())
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// logout ends the browser's session. While it has one, the form must carry its CSRF token
// (the page renders it), so another site cannot sign the browser out.
func (u *web) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if want := csrfOf(r); want != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(want)) != 1 {
		u.r.Page(w, http.StatusForbidden, "error", ui.Page{Title: "Not signed out", Body: errorPage{Title: "Not signed out",
			Message: "the sign-out form did not carry this session's CSRF token: sign out from a Dray page"}})
		return
	}
	u.a.auth.signOut(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (u *web) projects(w http.ResponseWriter, r *http.Request) {
	names, err := store.Projects(r.Context(), u.a.Bus)
	if err != nil {
		fail(w, err)
		return
	}
	var rows []ui.ProjectSummary
	for _, p := range visibleProjects(identity(r), names, u.a.auth.policies.Get) {
		stages, err := u.stages(r.Context(), p)
		if err != nil {
			rows = append(rows, ui.ProjectSummary{Name: p, Err: err.Error()})
			continue
		}
		whs, err := loadAll[v1.Warehouse](r.Context(), u.a.Bus.Resources, bus.ResourceKey(p, v1.KindWarehouse, "*"))
		if err != nil {
			rows = append(rows, ui.ProjectSummary{Name: p, Err: err.Error()})
			continue
		}
		rows = append(rows, ui.Summarize(p, len(whs), stages))
	}
	u.page(w, r, "projects", "Projects", "", rows)
}

// stages reads a project's Stages with their status: two bucket reads, not two per Stage.
func (u *web) stages(ctx context.Context, project string) ([]v1.Stage, error) {
	specs, err := loadAll[v1.Stage](ctx, u.a.Bus.Resources, bus.ResourceKey(project, v1.KindStage, "*"))
	if err != nil {
		return nil, err
	}
	statuses, err := loadAll[v1.StageStatus](ctx, u.a.Bus.Stages, bus.Key(project, "*"))
	if err != nil {
		return nil, err
	}
	byKey := map[string]v1.StageStatus{}
	for _, s := range statuses {
		byKey[s.key] = s.v
	}
	out := make([]v1.Stage, len(specs))
	for i, s := range specs {
		out[i] = s.v
		out[i].Status = byKey[bus.Key(project, s.v.Metadata.Name)]
	}
	return out, nil
}

func (u *web) pipeline(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	q := r.URL.Query()
	view := ui.ParseView(q.Get("compact"), q.Get("collapse"))
	view.Layers = ui.ParseLayers(q.Get("layers"))
	p, err := u.buildPipeline(r.Context(), project, view)
	if err != nil {
		fail(w, err)
		return
	}
	// Find a Stage that a collapsed subtree or layer hides: expand what hides it (expanding
	// a subtree can move a Stage into a collapsed layer, hence the loop) and send the
	// browser to that view.
	if find := q.Get("find"); find != "" {
		moved := false
		for range 4 {
			v, hidden := p.Reveal(find)
			if !hidden {
				break
			}
			if p, err = u.buildPipeline(r.Context(), project, v); err != nil {
				fail(w, err)
				return
			}
			moved = true
		}
		if moved {
			http.Redirect(w, r, "/projects/"+url.PathEscape(project)+p.View.FindQuery(find), http.StatusSeeOther)
			return
		}
		p.Find = find
	}
	u.page(w, r, "pipeline", project, "pipeline", p)
}

func (u *web) buildPipeline(ctx context.Context, project string, view ui.View) (ui.Pipeline, error) {
	stages, err := u.stages(ctx, project)
	if err != nil {
		return ui.Pipeline{}, err
	}
	whs, err := loadAll[v1.Warehouse](ctx, u.a.Bus.Resources, bus.ResourceKey(project, v1.KindWarehouse, "*"))
	if err != nil {
		return ui.Pipeline{}, err
	}
	whStatus, err := loadAll[v1.WarehouseStatus](ctx, u.a.Bus.Warehouses, bus.Key(project, "*"))
	if err != nil {
		return ui.Pipeline{}, err
	}
	status := map[string]v1.WarehouseStatus{}
	for _, s := range whStatus {
		status[s.key] = s.v
	}
	warehouses := make([]v1.Warehouse, len(whs))
	for i, wh := range whs {
		warehouses[i] = wh.v
		warehouses[i].Status = status[bus.Key(project, wh.v.Metadata.Name)]
	}
	cfg, err := store.ProjectConfig(ctx, u.a.Bus, project)
	if err != nil {
		return ui.Pipeline{}, err
	}
	if err := u.windowStatuses(ctx, project, cfg, stages); err != nil {
		return ui.Pipeline{}, err
	}
	return ui.BuildPipelineView(project, warehouses, stages, cfg, u.currentFreight(ctx, project, stages), view), nil
}

// windowStatuses fills in what each Stage's promotion windows say now, as the API's Stage
// routes do (api.windowStatus), reading the ClusterConfig and Project once for them all.
func (u *web) windowStatuses(ctx context.Context, project string, cfg *v1.ProjectConfig, stages []v1.Stage) error {
	cluster, err := store.ClusterConfig(ctx, u.a.Bus)
	if err != nil {
		return err
	}
	var p *v1.Project
	if cluster != nil {
		var proj v1.Project
		switch _, err := u.a.Bus.GetJSON(ctx, u.a.Bus.Resources, bus.ResourceKey("", v1.KindProject, project), &proj); {
		case err == nil:
			p = &proj
		case !errors.Is(err, jetstream.ErrKeyNotFound):
			return fmt.Errorf("read project %q: %w", project, err)
		}
	}
	now := time.Now()
	for i := range stages {
		s := &stages[i]
		if s.Metadata.Namespace == "" {
			s.Metadata.Namespace = project
		}
		ws := pipeline.Windows(cluster, p, cfg, s)
		if len(ws) == 0 {
			continue
		}
		st, err := window.Evaluate(ws, now)
		if err != nil { // an invalid window holds the queue: it reads as closed
			st = v1.PromotionWindowStatus{Closed: true, Reason: err.Error()}
		}
		s.Status.PromotionWindow = &st
	}
	return nil
}

// currentFreight reads the Freight the Stages hold, each once.
func (u *web) currentFreight(ctx context.Context, project string, stages []v1.Stage) map[string]*v1.Freight {
	out := map[string]*v1.Freight{}
	for i := range stages {
		for _, h := range pipeline.Current(stages[i].Status.FreightHistory) {
			if _, ok := out[h.Freight]; ok {
				continue
			}
			f, err := store.Freight(ctx, u.a.Bus, project, h.Freight)
			if err != nil {
				f = nil // deleted since: the card shows no verification
			}
			out[h.Freight] = f
		}
	}
	return out
}

// card renders one Stage's card at the place the page gave it, for a live update.
func (u *web) card(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	s, err := store.Stage(r.Context(), u.a.Bus, project, r.PathValue("name"))
	if err != nil {
		fail(w, err)
		return
	}
	cfg, err := store.ProjectConfig(r.Context(), u.a.Bus, project)
	if err != nil {
		fail(w, err)
		return
	}
	if err := u.a.windowStatus(r.Context(), project, s); err != nil {
		fail(w, err)
		return
	}
	c := ui.Card(project, s, cfg, u.currentFreight(r.Context(), project, []v1.Stage{*s}))
	c.X, _ = strconv.Atoi(r.URL.Query().Get("x"))
	c.Y, _ = strconv.Atoi(r.URL.Query().Get("y"))
	c.Compact = r.URL.Query().Get("compact") == "1"
	u.r.Fragment(w, http.StatusOK, "card", c)
}

type promoteBody struct {
	Project, Stage string
	Upstream       []string
	Freight        []ui.FreightRow
	// Selected is the Freight ?freight= names (dropped on the Stage's card), chosen in the
	// list; NotAvailable says why it is not offered when it is not.
	Selected, NotAvailable string
}

// promoteDialog lists the Freight a Stage may be promoted to, newest first.
func (u *web) promoteDialog(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	s, err := store.Stage(r.Context(), u.a.Bus, project, name)
	if err != nil {
		fail(w, err)
		return
	}
	all, err := loadAll[v1.Freight](r.Context(), u.a.Bus.Freight, bus.Key(project, "*"))
	if err != nil {
		fail(w, err)
		return
	}
	var avail []v1.Freight
	now := time.Now()
	body := promoteBody{Project: project, Stage: name}
	want := r.URL.Query().Get("freight")
	for _, f := range all {
		ok, why := pipeline.Available(s, &f.v, now)
		if ok {
			avail = append(avail, f.v)
		}
		if want != "" && (f.v.Metadata.Name == want || f.v.Alias == want) {
			if body.Selected = f.v.Metadata.Name; !ok {
				body.NotAvailable = fmt.Sprintf("Freight %s is not available to %s: %s", cmp.Or(f.v.Alias, f.v.Metadata.Name), name, why)
			}
		}
	}
	if want != "" && body.Selected == "" {
		body.NotAvailable = fmt.Sprintf("Freight %s does not exist in project %s", want, project)
	}
	body.Freight = ui.Timeline(avail, "")
	for _, req := range s.Spec.RequestedFreight {
		body.Upstream = append(body.Upstream, req.Sources.Stages...)
	}
	u.r.Fragment(w, http.StatusOK, "promote", body)
}

type previewBody struct {
	Stage   string
	Freight ui.FreightRow
	Changes []ui.Change
	Steps   []v1.PromotionStep
	Diff    string
	// DiffErr says why the preview's run of the steps did not finish.
	DiffErr string
	Err     string
}

// preview shows what promoting a Freight would change: its artifacts against those the Stage
// holds, and the steps the Promotion would run, built as the promote route builds them.
func (u *web) preview(w http.ResponseWriter, r *http.Request) {
	project, name := r.PathValue("project"), r.PathValue("name")
	ctx := r.Context()
	f, err := store.Freight(ctx, u.a.Bus, project, r.URL.Query().Get("freight"))
	if err != nil {
		fail(w, err)
		return
	}
	s, err := store.Stage(ctx, u.a.Bus, project, name)
	if err != nil {
		fail(w, err)
		return
	}
	body := previewBody{Stage: name, Freight: ui.Row(f)}
	var current *v1.Freight
	for _, h := range pipeline.Current(s.Status.FreightHistory) {
		if pipeline.SameOrigin(h.Origin, f.Origin) || h.Origin.Name == "" {
			current, _ = store.Freight(ctx, u.a.Bus, project, h.Freight)
		}
	}
	body.Changes = ui.Compare(current, f)
	cmd := v1.PromoteCommand{Project: project, Stage: name, Freight: f.Metadata.Name, Actor: identity(r).Actor()}
	p, err := promote.Build(ctx, u.a.Bus, &cmd)
	if err != nil {
		body.Err = err.Error()
	} else {
		body.Steps = p.Spec.Steps
		body.Diff, body.DiffErr = u.diff(ctx, p)
	}
	u.r.Fragment(w, http.StatusOK, "preview", body)
}

// previewTimeout bounds a preview's run of the Promotion's steps (clones included).
const previewTimeout = time.Minute

// diff runs p with pkg/preview, as dray run --diff does, and returns the diff its git-push
// steps would push, or why the run did not get there. Nothing leaves the gateway; expressions
// that read Secrets or ConfigMaps fail the run.
func (u *web) diff(ctx context.Context, p *v1.Promotion) (diff, why string) {
	if u.a.previewSteps == nil {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	res, err := preview.Run(ctx, p, "", preview.Options{Steps: u.a.previewSteps, Log: u.a.Log})
	if err != nil {
		return "", err.Error()
	}
	var b strings.Builder
	for _, push := range res.Pushes {
		if push.Tag != "" {
			fmt.Fprintf(&b, "--- step %q would push tag %s (%s) to %s\n", push.Alias, push.Tag, preview.Short(push.Head), push.URL)
			continue
		}
		fmt.Fprintf(&b, "--- step %q would push %s to branch %s of %s\n", push.Alias, preview.Short(push.Head), push.Branch, push.URL)
		b.WriteString(cmp.Or(push.Diff, "(no changes)\n"))
	}
	if res.Promotion.Status.Phase != v1.PhaseSucceeded {
		why = "the preview ended " + res.Promotion.Status.Phase + ": " + res.Promotion.Status.Message
	}
	return b.String(), why
}

type freightBody struct {
	Project, Warehouse string
	Warehouses         []string
	Rows               []ui.FreightRow
	Paging             ui.Paging
}

// freightPageSize is how many Freight a page of the timeline shows.
const freightPageSize = 50

func (u *web) freight(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	all, err := loadAll[v1.Freight](r.Context(), u.a.Bus.Freight, bus.Key(project, "*"))
	if err != nil {
		fail(w, err)
		return
	}
	whs, err := loadAll[v1.Warehouse](r.Context(), u.a.Bus.Resources, bus.ResourceKey(project, v1.KindWarehouse, "*"))
	if err != nil {
		fail(w, err)
		return
	}
	body := freightBody{Project: project, Warehouse: r.URL.Query().Get("warehouse")}
	for _, wh := range whs {
		body.Warehouses = append(body.Warehouses, wh.v.Metadata.Name)
	}
	list := make([]v1.Freight, len(all))
	for i := range all {
		list[i] = all[i].v
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	body.Rows, body.Paging = ui.PageOf(ui.Timeline(list, body.Warehouse), page, freightPageSize)
	u.page(w, r, "freight", "Freight of "+project, "freight", body)
}

type stripBody struct {
	Project string
	Rows    []ui.FreightRow
	Total   int
}

// stripSize is how many of the newest Freight the pipeline page offers to drag.
const stripSize = 12

// strip lists the newest Freight above the pipeline graph, to drag onto a Stage.
func (u *web) strip(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	all, err := loadAll[v1.Freight](r.Context(), u.a.Bus.Freight, bus.Key(project, "*"))
	if err != nil {
		fail(w, err)
		return
	}
	list := make([]v1.Freight, len(all))
	for i := range all {
		list[i] = all[i].v
	}
	body := stripBody{Project: project, Rows: ui.Timeline(list, ""), Total: len(list)}
	if len(body.Rows) > stripSize {
		body.Rows = body.Rows[:stripSize]
	}
	u.r.Fragment(w, http.StatusOK, "strip", body)
}

type freightDetailBody struct {
	Project string
	Row     ui.FreightRow
	// Stages are those that could be approved for (all the project's promotable Stages).
	Stages []string
	// AllStages are the project's Stages, to reject the Freight for.
	AllStages  []string
	History    []ui.HistoryEntry
	Rejections []ui.Rejection
	// Others are the project's other Freight, newest first, to compare with; Compare is the
	// one picked (nil: none) and Diff what changed from it to this one.
	Others  []ui.FreightRow
	Compare *ui.FreightRow
	Diff    []ui.ArtifactDiff
}

// maxCompareChoices bounds the Freight offered to compare with, newest first.
const maxCompareChoices = 200

// freightDetail shows a Freight: its artifacts, its history (the Stages it reached, where
// it was verified, approved or rejected), and what changed from the Freight ?compare names.
func (u *web) freightDetail(w http.ResponseWriter, r *http.Request) {
	project, ctx := r.PathValue("project"), r.Context()
	f, err := store.Freight(ctx, u.a.Bus, project, r.PathValue("name"))
	if err != nil {
		fail(w, err)
		return
	}
	stages, err := u.stages(ctx, project)
	if err != nil {
		fail(w, err)
		return
	}
	body := freightDetailBody{Project: project, Row: ui.Row(f), History: ui.FreightHistory(f, stages), Rejections: ui.Rejections(f)}
	for i := range stages {
		s := &stages[i]
		body.AllStages = append(body.AllStages, s.Metadata.Name)
		if _, approved := f.Status.ApprovedFor[s.Metadata.Name]; !approved && pipeline.Promotable(s) {
			body.Stages = append(body.Stages, s.Metadata.Name)
		}
	}
	all, err := loadAll[v1.Freight](ctx, u.a.Bus.Freight, bus.Key(project, "*"))
	if err != nil {
		fail(w, err)
		return
	}
	var others []v1.Freight
	for _, o := range all {
		if o.v.Metadata.Name != f.Metadata.Name {
			others = append(others, o.v)
		}
	}
	body.Others = ui.Timeline(others, "")
	if len(body.Others) > maxCompareChoices {
		body.Others = body.Others[:maxCompareChoices]
	}
	if name := r.URL.Query().Get("compare"); name != "" {
		other, err := store.Freight(ctx, u.a.Bus, project, name)
		if err != nil {
			fail(w, fmt.Errorf("compare with Freight %q: %w", name, err))
			return
		}
		row := ui.Row(other)
		body.Compare, body.Diff = &row, ui.CompareFreight(other, f)
		if !slices.ContainsFunc(body.Others, func(o ui.FreightRow) bool { return o.Name == row.Name }) {
			body.Others = append(body.Others, row)
		}
	}
	u.page(w, r, "freightdetail", "Freight "+body.Row.Label(), "freight", body)
}

func (u *web) promotion(w http.ResponseWriter, r *http.Request) {
	p, err := store.Promotion(r.Context(), u.a.Bus, r.PathValue("project"), r.PathValue("name"))
	if err != nil {
		fail(w, err)
		return
	}
	u.page(w, r, "promotion", "Promotion "+p.Metadata.Name, "", ui.BuildPromotion(p, time.Now(), u.a.argoCD))
}

func (u *web) steps(w http.ResponseWriter, r *http.Request) {
	p, err := store.Promotion(r.Context(), u.a.Bus, r.PathValue("project"), r.PathValue("name"))
	if err != nil {
		fail(w, err)
		return
	}
	u.r.Fragment(w, http.StatusOK, "steps", ui.BuildPromotion(p, time.Now(), u.a.argoCD))
}

// entry is a bucket entry decoded, with its key.
type entry[T any] struct {
	key string
	v   T
}

// loadAll reads every entry of kv matching filter through one watcher: one NATS consumer for
// the lot, where store.List reads entries one by one (a project's 2,000 Freight in one
// request). Entries that do not decode are left out.
func loadAll[T any](ctx context.Context, kv jetstream.KeyValue, filter string) ([]entry[T], error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	wa, err := kv.WatchFiltered(ctx, []string{filter}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", filter, kv.Bucket(), err)
	}
	defer func() { _ = wa.Stop() }()
	var out []entry[T]
	for {
		select {
		case e, ok := <-wa.Updates():
			if !ok {
				return nil, fmt.Errorf("read %s of %s: watcher closed", filter, kv.Bucket())
			}
			if e == nil { // every current entry has been sent
				slices.SortFunc(out, func(a, b entry[T]) int { return strings.Compare(a.key, b.key) })
				return out, nil
			}
			var v T
			if json.Unmarshal(e.Value(), &v) == nil {
				out = append(out, entry[T]{key: e.Key(), v: v})
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("read %s of %s: %w", filter, kv.Bucket(), ctx.Err())
		}
	}
}
