package ui

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/promotion"
)

// Sizes of the graph, in CSS pixels: a card, and the gaps between columns and rows.
const (
	cardWidth  = 240
	cardHeight = 150
	gapX       = 64
	gapY       = 20
)

// ProjectSummary is a project's row in the projects list.
type ProjectSummary struct {
	Name                                 string
	Warehouses, Stages, Running, Failing int
	// Health is the worst health of its Stages, or "" when none reports one.
	Health string
	// Err says why the project could not be read (the row still shows its name).
	Err string
}

// Summarize counts a project's resources for the projects list.
func Summarize(name string, warehouses int, stages []v1.Stage) ProjectSummary {
	s := ProjectSummary{Name: name, Warehouses: warehouses, Stages: len(stages)}
	for _, st := range stages {
		if st.Status.CurrentPromotion != nil {
			s.Running++
		}
		if lp := st.Status.LastPromotion; lp != nil && failed(lp.Phase) {
			s.Failing++
		}
		if h := st.Status.Health; h != nil && v1.HealthSeverity(h.Status) > v1.HealthSeverity(s.Health) {
			s.Health = h.Status
		}
	}
	return s
}

func failed(phase string) bool {
	return phase == v1.PhaseFailed || phase == v1.PhaseErrored || phase == v1.PhaseAborted
}

// Pipeline is a project's graph: its nodes placed by Layout, in pixels, and its edges as
// SVG paths.
type Pipeline struct {
	Project       string
	Width, Height int
	Warehouses    []WarehouseNode
	Stages        []StageCard
	Edges         []Edge
	// View is how the graph is drawn: compact, and the Stages whose subtrees are collapsed.
	View View
	// Hidden counts the Stages collapsed away (in subtrees and layers).
	Hidden int
	// Layers are the graph's columns of Stages, each with the control that collapses it,
	// in a header row above the nodes.
	Layers []LayerHeader
	// Collapsed are the collapsed layers, each drawn as one node.
	Collapsed []LayerNode
	// HiddenStages are the Stages not drawn, with what hides them, for Find a Stage.
	HiddenStages []HiddenStage
	// Find is the Stage the page was asked to find (?find=), which the search box shows.
	Find string
}

// LayerHeader is a column's header: its number (a Warehouse's column is 0, so Stages' are
// 1 and up), how many Stages it has, and the link that collapses or expands it.
type LayerHeader struct {
	Layer, X, Stages int
	Collapsed        bool
	Href             string
}

// LayerNode is a collapsed layer, drawn as one node: how many Stages it holds, how many
// of them are promoting and how many last promotions failed.
type LayerNode struct {
	Layer, X, Y              int
	Stages, Running, Failing int
	Href                     string
	Names                    []string
}

// HiddenStage is a Stage a collapsed subtree (the collapsed Stages upstream of it) or a
// collapsed layer hides.
type HiddenStage struct {
	Name      string
	Collapsed []string
	Layer     int
}

// Reveal is view changed so that the Stage named name is drawn: the subtrees and the layer
// hiding it expanded. It returns view and false when name is not hidden.
func (p Pipeline) Reveal(name string) (View, bool) {
	v := p.View
	for _, h := range p.HiddenStages {
		if h.Name != name {
			continue
		}
		v.Collapse = slices.DeleteFunc(slices.Clone(v.Collapse), func(c string) bool { return slices.Contains(h.Collapsed, c) })
		v.Layers = slices.DeleteFunc(slices.Clone(v.Layers), func(l int) bool { return l == h.Layer })
		return v, true
	}
	return v, false
}

// headerHeight is the height of the row of layer headers above the nodes.
const headerHeight = 34

// View is how a pipeline graph is drawn, from the page's query: ?compact=1 draws every node
// as its name only; ?collapse=a,b hides the Stages downstream of a and b; ?layers=2,3 draws
// the Stages of the graph's columns 2 and 3 as one node each.
type View struct {
	Compact  bool
	Collapse []string
	Layers   []int
}

// Query is the view as a query string ("" for the default view), with a Stage's subtree
// collapsed or expanded (toggle; "" for none), for the links that change it.
func (v View) Query(toggle string) string {
	collapse := slices.Clone(v.Collapse)
	if toggle != "" {
		if i := slices.Index(collapse, toggle); i >= 0 {
			collapse = slices.Delete(collapse, i, i+1)
		} else {
			collapse = append(collapse, toggle)
		}
	}
	var parts []string
	if v.Compact {
		parts = append(parts, "compact=1")
	}
	if len(collapse) > 0 {
		slices.Sort(collapse)
		parts = append(parts, "collapse="+url.QueryEscape(strings.Join(collapse, ",")))
	}
	if len(v.Layers) > 0 {
		layers := slices.Sorted(slices.Values(v.Layers))
		s := make([]string, len(layers))
		for i, l := range layers {
			s[i] = strconv.Itoa(l)
		}
		parts = append(parts, "layers="+url.QueryEscape(strings.Join(s, ",")))
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// LayerQuery is the view's query with layer collapsed or expanded.
func (v View) LayerQuery(layer int) string {
	if i := slices.Index(v.Layers, layer); i >= 0 {
		v.Layers = slices.Delete(slices.Clone(v.Layers), i, i+1)
	} else {
		v.Layers = append(slices.Clone(v.Layers), layer)
	}
	return v.Query("")
}

// FindQuery is the view's query asking the page to find the Stage named name.
func (v View) FindQuery(name string) string {
	q := v.Query("")
	if q == "" {
		return "?find=" + url.QueryEscape(name)
	}
	return q + "&find=" + url.QueryEscape(name)
}

// ParseLayers reads ?layers=: the numbers of the collapsed columns; others are ignored.
func ParseLayers(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// CompactQuery is the view's query with Compact switched.
func (v View) CompactQuery() string {
	v.Compact = !v.Compact
	return v.Query("")
}

// ExpandAllQuery is the view's query with no subtree or layer collapsed.
func (v View) ExpandAllQuery() string {
	v.Collapse, v.Layers = nil, nil
	return v.Query("")
}

// ParseView reads a View from a page's query values.
func ParseView(compact, collapse string) View {
	v := View{Compact: compact == "1" || compact == "true"}
	for _, c := range strings.Split(collapse, ",") {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(v.Collapse, c) {
			v.Collapse = append(v.Collapse, c)
		}
	}
	return v
}

// toggleSize is the height of a subtree's collapse toggle.
const toggleSize = 22

// Sizes of a compact node.
const (
	compactWidth  = 180
	compactHeight = 40
)

// size is a node's size and the gaps between nodes, in CSS pixels.
func (v View) size() (w, h, gx, gy int) {
	if v.Compact {
		return compactWidth, compactHeight, gapX / 2, gapY / 2
	}
	return cardWidth, cardHeight, gapX, gapY
}

// WarehouseNode is a Warehouse's card.
type WarehouseNode struct {
	Name          string
	X, Y          int
	Subscriptions []string
	// Problem is why discovery does not work (its Ready condition), "" when it does.
	Problem string
	Compact bool
}

// Edge is an arrow from a Warehouse or Stage to a Stage that takes Freight from it.
type Edge struct {
	From, To string
	// D is the SVG path: a curve from the right of From to the left of To.
	D string
}

// Toggle is a Stage's control that collapses or expands the Stages downstream of it.
type Toggle struct {
	Stage string
	X, Y  int
	// Collapsed tells whether its subtree is collapsed; Below counts the Stages downstream.
	Collapsed bool
	Below     int
	Href      string
}

// StageCard is what a Stage's card shows.
type StageCard struct {
	Project, Name string
	X, Y          int
	// Freight is the Freight the Stage holds, one per origin, alias first.
	Freight []HeldFreight
	Health  string
	// HealthIssues say why it is not Healthy.
	HealthIssues []string
	// Verification: Verified, Verifying, NotVerified or "" (no Freight), and why not.
	Verification, VerificationWhy string
	// Promotion is the running Promotion, else the last one.
	Promotion      *v1.PromotionReference
	Running        bool
	Queued         int
	Paused         *v1.StagePaused
	Waiting        string
	AutoPromotion  bool
	Holds          int
	Promotable     bool
	HasVerifySteps bool
	// Window is what the Stage's promotion windows say now; nil when none apply.
	Window *v1.PromotionWindowStatus
	// Rollback is set when the Freight it holds came back by auto-rollback.
	Rollback bool
	// Compact draws the name only; Toggle, when set, collapses or expands its subtree.
	Compact bool
	Toggle  *Toggle
}

// HeldFreight is a Freight a Stage holds.
type HeldFreight struct {
	Name, Alias, Origin string
	Since               *time.Time
}

// Label is the alias, else the Freight's name.
func (h HeldFreight) Label() string { return cmp.Or(h.Alias, h.Name) }

// BuildPipeline lays out a project's Warehouses and Stages. cfg may be nil; freight gives
// each Stage's current Freight its verification (a Stage missing from it shows none).
func BuildPipeline(project string, warehouses []v1.Warehouse, stages []v1.Stage, cfg *v1.ProjectConfig, freight map[string]*v1.Freight) Pipeline {
	return BuildPipelineView(project, warehouses, stages, cfg, freight, View{})
}

// BuildPipelineView is BuildPipeline drawn as view says: Stages downstream of a collapsed
// one are left out of the layout (the collapsed card counts them), and a compact view
// draws smaller nodes closer together.
func BuildPipelineView(project string, warehouses []v1.Warehouse, stages []v1.Stage, cfg *v1.ProjectConfig, freight map[string]*v1.Freight, view View) Pipeline {
	var nodes []string
	parents := map[string][]string{}
	children := map[string][]string{}
	for _, w := range warehouses {
		nodes = append(nodes, "w/"+w.Metadata.Name)
	}
	for _, s := range stages {
		id := "s/" + s.Metadata.Name
		nodes = append(nodes, id)
		for _, req := range s.Spec.RequestedFreight {
			if req.Sources.Direct {
				parents[id] = appendNew(parents[id], "w/"+req.Origin.Name)
			}
			for _, up := range req.Sources.Stages {
				parents[id] = appendNew(parents[id], "s/"+up)
				children["s/"+up] = appendNew(children["s/"+up], id)
			}
		}
	}
	below := func(id string) map[string]bool { // the Stages downstream of id
		seen := map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			for _, c := range children[n] {
				if !seen[c] && c != id {
					seen[c] = true
					walk(c)
				}
			}
		}
		walk(id)
		return seen
	}
	hidden := map[string]bool{}
	hiddenBy := map[string][]string{} // a hidden Stage's collapsed Stages upstream
	for _, c := range view.Collapse {
		for n := range below("s/" + c) {
			hidden[n] = true
			hiddenBy[n] = append(hiddenBy[n], c)
		}
	}
	visible := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return hidden[n] })
	pos := Layout(visible, parents)
	p := Pipeline{Project: project, View: view}
	for _, s := range stages {
		if c := hiddenBy["s/"+s.Metadata.Name]; len(c) > 0 {
			p.HiddenStages = append(p.HiddenStages, HiddenStage{Name: s.Metadata.Name, Collapsed: c})
		}
	}
	// Layers: the columns of Stages. A collapsed one is drawn as a node in its first row,
	// which the edges of its Stages go to and leave from.
	layerOf := map[string]int{} // a Stage in a collapsed layer: its layer
	columns := map[int][]string{}
	for _, id := range visible {
		if strings.HasPrefix(id, "s/") {
			columns[pos[id].Col] = append(columns[pos[id].Col], id)
		}
	}
	top := 0
	if len(columns) > 0 {
		top = headerHeight
	}
	cw, ch, gx, gy := view.size()
	xy := func(id string) (int, int) {
		q := pos[id]
		x, y := q.Col*(cw+gx), top+q.Row*(ch+gy)
		p.Width, p.Height = max(p.Width, x+cw), max(p.Height, y+ch)
		return x, y
	}
	for _, k := range slices.Sorted(maps.Keys(columns)) {
		h := LayerHeader{Layer: k, X: k * (cw + gx), Stages: len(columns[k]), Collapsed: slices.Contains(view.Layers, k),
			Href: "/projects/" + project + view.LayerQuery(k)}
		p.Layers = append(p.Layers, h)
		if !h.Collapsed {
			continue
		}
		n := LayerNode{Layer: k, Stages: len(columns[k]), Href: h.Href}
		for _, id := range columns[k] {
			layerOf[id] = k
			n.Names = append(n.Names, id[2:])
			p.HiddenStages = append(p.HiddenStages, HiddenStage{Name: id[2:], Layer: k})
		}
		pos[layerID(k)] = Pos{Col: k}
		n.X, n.Y = xy(layerID(k))
		p.Collapsed = append(p.Collapsed, n)
	}
	p.Hidden = len(p.HiddenStages)
	at := func(id string) string { // where id's edges meet: its layer's node when collapsed
		if k, ok := layerOf[id]; ok {
			return layerID(k)
		}
		return id
	}
	for _, w := range warehouses {
		n := WarehouseNode{Name: w.Metadata.Name, Compact: view.Compact}
		n.X, n.Y = xy("w/" + w.Metadata.Name)
		for _, s := range w.Spec.Subscriptions {
			n.Subscriptions = append(n.Subscriptions, subscription(s))
		}
		for _, c := range w.Status.Conditions {
			if c.Type == "Ready" && c.Status == "False" {
				n.Problem = cmp.Or(c.Message, c.Reason)
			}
		}
		p.Warehouses = append(p.Warehouses, n)
	}
	for i := range stages {
		id := "s/" + stages[i].Metadata.Name
		if hidden[id] {
			continue
		}
		c := Card(project, &stages[i], cfg, freight)
		if k, ok := layerOf[id]; ok {
			n := &p.Collapsed[slices.IndexFunc(p.Collapsed, func(n LayerNode) bool { return n.Layer == k })]
			if c.Running {
				n.Running++
			}
			if c.Promotion != nil && !c.Running && failed(c.Promotion.Phase) {
				n.Failing++
			}
			continue
		}
		c.X, c.Y = xy(id)
		c.Compact = view.Compact
		if n := len(below(id)); n > 0 {
			// on the card's right edge, where its edges leave
			c.Toggle = &Toggle{Stage: c.Name, X: c.X + cw - toggleSize/2, Y: c.Y + ch/2 - toggleSize/2, Below: n,
				Collapsed: slices.Contains(view.Collapse, c.Name), Href: "/projects/" + project + view.Query(c.Name)}
		}
		p.Stages = append(p.Stages, c)
	}
	drawn := map[[2]string]bool{}
	for _, id := range visible {
		for _, from := range parents[id] {
			if _, ok := pos[from]; !ok {
				continue
			}
			a, b := at(from), at(id)
			if a == b || drawn[[2]string{a, b}] {
				continue
			}
			drawn[[2]string{a, b}] = true
			fx, fy := xy(a)
			tx, ty := xy(b)
			x1, y1, x2, y2 := fx+cw, fy+ch/2, tx, ty+ch/2
			mid := (x1 + x2) / 2
			p.Edges = append(p.Edges, Edge{From: a[2:], To: b[2:],
				D: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)})
		}
	}
	return p
}

// layerID is the layout's id of collapsed layer k's node.
func layerID(k int) string { return "l/layer-" + strconv.Itoa(k) }

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func subscription(s v1.RepoSubscription) string {
	switch {
	case s.Image != nil:
		return "image " + s.Image.RepoURL
	case s.Git != nil:
		return "git " + s.Git.RepoURL
	case s.Chart != nil:
		return "chart " + s.Chart.RepoURL
	}
	return s.Name
}

// Card builds a Stage's card. cfg may be nil.
func Card(project string, s *v1.Stage, cfg *v1.ProjectConfig, freight map[string]*v1.Freight) StageCard {
	st := s.Status
	c := StageCard{Project: project, Name: s.Metadata.Name, Queued: len(st.Queued), Paused: st.Paused, Waiting: st.Waiting, Window: st.PromotionWindow,
		Holds: len(st.AutoPromotionHolds), Promotable: pipeline.Promotable(s), HasVerifySteps: s.Spec.Verification != nil && len(s.Spec.Verification.Steps) > 0}
	if cfg != nil {
		c.AutoPromotion = pipeline.AutoPromotionEnabled(cfg, s)
	}
	if st.Health != nil {
		c.Health, c.HealthIssues = st.Health.Status, st.Health.Issues
	}
	c.Promotion, c.Running = st.LastPromotion, false
	if st.CurrentPromotion != nil {
		c.Promotion, c.Running = st.CurrentPromotion, true
	}
	for _, h := range pipeline.Current(st.FreightHistory) {
		c.Freight = append(c.Freight, HeldFreight{Name: h.Freight, Alias: h.Alias, Origin: h.Origin.Kind + "/" + h.Origin.Name, Since: h.Since})
		c.Rollback = c.Rollback || h.Rollback
	}
	if len(c.Freight) > 0 {
		c.Verification = "Verified"
		for _, h := range c.Freight {
			f := freight[h.Name]
			if f == nil {
				c.Verification = ""
				break
			}
			if _, ok := f.Status.VerifiedIn[c.Name]; !ok {
				c.Verification = "NotVerified"
			}
		}
		if c.Verification == "NotVerified" && st.Verification != "" {
			c.VerificationWhy = st.Verification
		}
	}
	return c
}

// FreightRow is a Freight in the timeline.
type FreightRow struct {
	Name, Alias, Origin string
	DiscoveredAt        *time.Time
	Artifacts           []string
	In, Verified        []string
	// Approved are the Stages it is approved for.
	Approved []string
	// RejectedAll is set when it is rejected for every Stage; RejectedFor names the Stages
	// it is rejected for.
	RejectedAll bool
	RejectedFor []string
}

// Label is the alias, else the name.
func (r FreightRow) Label() string { return cmp.Or(r.Alias, r.Name) }

// Timeline lists Freight newest first, those of warehouse only when it is set.
func Timeline(all []v1.Freight, warehouse string) []FreightRow {
	var rows []FreightRow
	for i := range all {
		f := &all[i]
		if warehouse != "" && f.Origin.Name != warehouse {
			continue
		}
		rows = append(rows, Row(f))
	}
	slices.SortStableFunc(rows, func(a, b FreightRow) int {
		at, bt := time.Time{}, time.Time{}
		if a.DiscoveredAt != nil {
			at = *a.DiscoveredAt
		}
		if b.DiscoveredAt != nil {
			bt = *b.DiscoveredAt
		}
		return cmp.Or(bt.Compare(at), strings.Compare(a.Name, b.Name))
	})
	return rows
}

// Row is one Freight's row: its artifacts and where it is.
func Row(f *v1.Freight) FreightRow {
	r := FreightRow{Name: f.Metadata.Name, Alias: f.Alias, Origin: f.Origin.Kind + "/" + f.Origin.Name, DiscoveredAt: f.DiscoveredAt, Artifacts: Artifacts(f)}
	r.In = sortedKeys(f.Status.CurrentlyIn)
	r.Verified = sortedKeys(f.Status.VerifiedIn)
	r.Approved = sortedKeys(f.Status.ApprovedFor)
	r.RejectedAll, r.RejectedFor = f.Status.Rejected != nil, sortedKeys(f.Status.RejectedFor)
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Artifacts lists a Freight's commits, images and charts, one line each.
func Artifacts(f *v1.Freight) []string {
	var out []string
	for _, c := range f.Commits {
		out = append(out, "git "+c.RepoURL+" "+cmp.Or(c.Tag, short(c.ID))+" "+firstLine(c.Message))
	}
	for _, i := range f.Images {
		out = append(out, "image "+i.RepoURL+":"+i.Tag+" "+short(strings.TrimPrefix(i.Digest, "sha256:")))
	}
	for _, c := range f.Charts {
		out = append(out, "chart "+c.RepoURL+" "+c.Name+" "+c.Version)
	}
	return out
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// StepView is a step of a Promotion's detail.
type StepView struct {
	v1.StepExecutionMetadata
	Index    int
	Duration string
	Outputs  map[string]any
	// Task names the PromotionTask the step came from; "" for the Stage's own steps.
	Task string
	// Links are what the step produced: a commit, a pull request, Argo CD Applications.
	Links []Link
}

// StepGroup is the steps of one PromotionTask, or the Stage's own steps (Task "").
type StepGroup struct {
	Task  string
	Steps []StepView
}

// PromotionView is a Promotion's detail page.
type PromotionView struct {
	P      *v1.Promotion
	Groups []StepGroup
	// Duration is how long it ran (so far, when running).
	Duration string
	// Waiting is the human step the Promotion waits at; nil when it waits for nobody.
	Waiting *WaitingView
}

// WaitingView is a human step waiting for people (docs/steps/wait-for-approval.md): an
// approval (Approve) or a form to fill in (Fields).
type WaitingView struct {
	Alias, Uses, Message string
	Approve              bool
	// Prompt is the step's config message.
	Prompt string
	Fields []promotion.FormField
}

// waiting returns what the running Promotion p waits for at a human step, or nil.
func waiting(p *v1.Promotion) *WaitingView {
	meta := p.Status.StepExecutionMetadata
	if p.Status.CurrentStep >= len(meta) {
		return nil
	}
	_, m, ok := promotion.Waiting(p, meta[p.Status.CurrentStep].Alias)
	if !ok {
		return nil
	}
	cfg, err := promotion.DecodeHuman(m.Uses, m.Alias, m.Config)
	if err != nil {
		return nil
	}
	w := &WaitingView{Alias: m.Alias, Uses: m.Uses, Message: m.Message}
	switch c := cfg.(type) {
	case promotion.ApprovalConfig:
		w.Approve, w.Prompt = true, c.Message
	case promotion.InputConfig:
		w.Prompt, w.Fields = c.Message, c.Fields()
	}
	return w
}

// Rollback tells a Promotion that returns its Stage to Freight it held before: by
// auto-rollback (its annotation) or by the status the state service recorded.
func (v PromotionView) Rollback() bool {
	return v.P.Status.Rollback || v.P.Metadata.Annotations[v1.AnnotationRollback] == "true"
}

// BuildPromotion groups a Promotion's steps: steps whose alias is "<task alias>::<step>"
// (how a PromotionTask's steps are expanded, README.md) go under their task. argoCD is the
// Argo CD UI's address, "" when unknown (StepLinks).
func BuildPromotion(p *v1.Promotion, now time.Time, argoCD string) PromotionView {
	v := PromotionView{P: p, Duration: duration(p.Status.StartedAt, p.Status.FinishedAt, now), Waiting: waiting(p)}
	meta := p.Status.StepExecutionMetadata
	for i := range max(len(meta), len(p.Spec.Steps)) {
		var m v1.StepExecutionMetadata
		if i < len(meta) {
			m = meta[i]
		} else { // not started yet: the step as the template gives it
			m = v1.StepExecutionMetadata{Alias: cmp.Or(p.Spec.Steps[i].As, fmt.Sprintf("step-%d", i+1)), Uses: p.Spec.Steps[i].Uses}
		}
		if m.Status == "" && i == p.Status.CurrentStep && p.Status.Phase == v1.PhaseRunning {
			m.Status = v1.StepRunning
		}
		s := StepView{StepExecutionMetadata: m, Index: i + 1, Duration: duration(m.StartedAt, m.FinishedAt, now)}
		s.Task, _ = promotion.TaskOf(m.Alias)
		s.Outputs = p.Status.State[m.Alias]
		s.Links = StepLinks(m, s.Outputs, meta, argoCD)
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Task != s.Task {
			v.Groups = append(v.Groups, StepGroup{Task: s.Task})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Steps = append(g.Steps, s)
	}
	return v
}

func duration(start, end *time.Time, now time.Time) string {
	if start == nil {
		return ""
	}
	e := now
	if end != nil {
		e = *end
	}
	return e.Sub(*start).Round(time.Millisecond).String()
}

// Change is one artifact of a preview: what the Stage holds now and what it would hold.
type Change struct {
	Artifact, Now, After string
	Same                 bool
}

// Compare lists the artifacts of next beside those of now (nil: the Stage holds nothing of
// that origin), artifact by repository, then those only now has.
func Compare(now, next *v1.Freight) []Change {
	before, after := versions(now), versions(next)
	var out []Change
	for _, a := range after {
		c := Change{Artifact: a.key, After: a.version}
		for _, b := range before {
			if b.key == a.key {
				c.Now = b.version
			}
		}
		c.Same = c.Now == c.After
		out = append(out, c)
	}
	for _, b := range before {
		if !slices.ContainsFunc(after, func(a version) bool { return a.key == b.key }) {
			out = append(out, Change{Artifact: b.key, Now: b.version})
		}
	}
	return out
}

type version struct{ key, version string }

func versions(f *v1.Freight) []version {
	if f == nil {
		return nil
	}
	var out []version
	for _, c := range f.Commits {
		out = append(out, version{"git " + c.RepoURL, cmp.Or(c.Tag, short(c.ID))})
	}
	for _, i := range f.Images {
		out = append(out, version{"image " + i.RepoURL, cmp.Or(i.Tag, short(strings.TrimPrefix(i.Digest, "sha256:")))})
	}
	for _, c := range f.Charts {
		out = append(out, version{"chart " + c.RepoURL + " " + c.Name, c.Version})
	}
	return out
}

// Paging says which page of a list is shown: Page of Pages (from 1), rows From to To (from
// 1) of Total.
type Paging struct{ Page, Pages, Total, From, To int }

// Prev and Next are the neighbouring pages, 0 when there is none.
func (p Paging) Prev() int {
	if p.Page > 1 {
		return p.Page - 1
	}
	return 0
}

// Next is the following page, 0 when this is the last.
func (p Paging) Next() int {
	if p.Page < p.Pages {
		return p.Page + 1
	}
	return 0
}

// PageOf cuts page (from 1; out of range: the nearest page) of size rows from rows.
func PageOf[T any](rows []T, page, size int) ([]T, Paging) {
	p := Paging{Total: len(rows), Pages: max(1, (len(rows)+size-1)/size)}
	p.Page = min(max(page, 1), p.Pages)
	start := (p.Page - 1) * size
	end := min(start+size, len(rows))
	if start >= end {
		return nil, p
	}
	p.From, p.To = start+1, end
	return rows[start:end], p
}
