package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/promotion"
	stagepkg "github.com/drayhq/dray/pkg/stage"
)

func newGet(g *globals) *cobra.Command {
	var (
		output, cont string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "get KIND [NAME]",
		Short: "Show projects, promotions, stages, warehouses, freight, secrets or tokens",
		Long: `Show resources of a project. KIND is projects (project), promotions (promotion, promo),
stages (stage), warehouses (warehouse), freight, secrets (secret; names and keys only: values
never leave the server), tokens (token) or eventrouters (eventrouter: the EventRouters that post
events to message channels). Lists are sorted by creation time, newest last.
With a NAME (a Freight's name or alias), show that one; a promotion is shown with each step's
status, timing and outputs.

-o picks the format, as kubectl's: wide (the table with more columns), name, json, yaml,
jsonpath=TEMPLATE, go-template=TEMPLATE (and their -file=FILE forms). A list is a kind: List,
which dray apply -f takes back.`,
		Example: `  dray get stages
  dray get freight -o wide
  dray get freight quiet-lynx -o yaml
  dray get promotions -p shop --limit 20
  dray get stages -o jsonpath='{.items[*].metadata.name}'
  dray get stages -o yaml > stages.yaml && dray apply -f stages.yaml`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeGet(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := parseOutput(output, os.ReadFile)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			kind, ok := kindOf(args[0])
			if !ok {
				return fmt.Errorf("unknown kind %q: use projects, promotions, stages, warehouses, freight, secrets, tokens or eventrouters", args[0])
			}
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			if kind == "projects" {
				return getProjects(cmd, g, out, name)
			}
			c, project, err := g.connect(ctx)
			if err != nil {
				return err
			}
			if kind == "tokens" {
				return printTokens(cmd, c, project, output)
			}
			opts := client.ListOptions{Limit: limit, Continue: cont}
			paged := limit != 0 || cont != ""
			var next string
			var remaining int
			var n int // how many were found, to say so when none were
			switch kind {
			case "promotions":
				var list []v1.Promotion
				list, next, remaining, err = fetch(ctx, name, paged, opts, c.Promotion, c.Promotions, c.PromotionPage, project)
				if err != nil {
					return err
				}
				if name != "" && out.table && !out.wide {
					printPromotion(w, &list[0], aliasesOf(ctx, c, project))
					return nil
				}
				n = len(list)
				err = show(w, out, byCreation(list, func(p *v1.Promotion) *time.Time { return p.Metadata.CreationTimestamp }), name != "", func() []column[v1.Promotion] { return promotionColumns(aliasesOf(ctx, c, project)) })
			case "stages":
				var list []v1.Stage
				list, next, remaining, err = fetch(ctx, name, paged, opts, c.Stage, c.Stages, c.StagePage, project)
				if err != nil {
					return err
				}
				n = len(list)
				err = show(w, out, byCreation(list, func(s *v1.Stage) *time.Time { return s.Metadata.CreationTimestamp }), name != "", func() []column[v1.Stage] { return stageColumns(aliasesOf(ctx, c, project)) })
			case "warehouses":
				var list []v1.Warehouse
				list, next, remaining, err = fetch(ctx, name, paged, opts, c.Warehouse, c.Warehouses, c.WarehousePage, project)
				if err != nil {
					return err
				}
				n = len(list)
				err = show(w, out, byCreation(list, func(s *v1.Warehouse) *time.Time { return s.Metadata.CreationTimestamp }), name != "", warehouseColumns)
			case "freight":
				var list []v1.Freight
				list, next, remaining, err = fetch(ctx, name, paged, opts, c.GetFreight, c.Freight, c.FreightPage, project)
				if err != nil {
					return err
				}
				n = len(list)
				err = show(w, out, byCreation(list, func(f *v1.Freight) *time.Time { return f.Metadata.CreationTimestamp }), name != "", freightColumns)
			case "secrets":
				if name != "" {
					return fmt.Errorf("dray get secrets shows no single Secret: its values never leave the server; list them with dray get secrets")
				}
				var list []v1.SecretSummary
				if paged {
					list, next, remaining, err = pageOf(c.SecretPage(ctx, project, opts))
				} else {
					list, err = c.Secrets(ctx, project)
				}
				if err != nil {
					return err
				}
				n = len(list)
				err = show(w, out, secretViews(list), false, secretColumns)
			case "eventrouters":
				var list []v1.EventRouter
				if list, err = c.EventRouters(ctx, project); err != nil {
					return err
				}
				if name != "" {
					list = slices.DeleteFunc(list, func(r v1.EventRouter) bool { return r.Metadata.Name != name })
					if len(list) == 0 {
						return fmt.Errorf("no EventRouter %q in project %s", name, project)
					}
				}
				n = len(list)
				err = show(w, out, byCreation(list, func(r *v1.EventRouter) *time.Time { return r.Metadata.CreationTimestamp }), name != "", eventRouterColumns)
			}
			if err != nil {
				return err
			}
			if n == 0 && out.table {
				fmt.Fprintf(cmd.ErrOrStderr(), "No %s found in project %s.\n", kind, project)
			}
			if next != "" {
				more := "dray get " + args[0]
				if limit > 0 {
					more += " --limit " + strconv.Itoa(limit)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d more: %s --continue %s\n", remaining, more, next)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: "+outputFormats+" (default: a table)")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many (1 to 1000) and say how to ask for the rest (default: all, read page by page)")
	cmd.Flags().StringVar(&cont, "continue", "", "the token a --limit listing printed, to show the next page")
	return cmd
}

// kindOf names the plural kind a get argument means.
func kindOf(arg string) (string, bool) {
	switch strings.ToLower(arg) {
	case "project", "projects":
		return "projects", true
	case "promotion", "promotions", "promo":
		return "promotions", true
	case "stage", "stages":
		return "stages", true
	case "warehouse", "warehouses":
		return "warehouses", true
	case "freight":
		return "freight", true
	case "secret", "secrets":
		return "secrets", true
	case "token", "tokens":
		return "tokens", true
	case "eventrouter", "eventrouters":
		return "eventrouters", true
	}
	return "", false
}

// fetch reads one item (name set), one page (paged) or all of a kind.
func fetch[T any](ctx context.Context, name string, paged bool, opts client.ListOptions,
	one func(context.Context, string, string) (*T, error),
	all func(context.Context, string) ([]T, error),
	page func(context.Context, string, client.ListOptions) (*client.Page[T], error),
	project string,
) ([]T, string, int, error) {
	switch {
	case name != "":
		v, err := one(ctx, project, name)
		if err != nil {
			return nil, "", 0, err
		}
		return []T{*v}, "", 0, nil
	case paged:
		return pageOf(page(ctx, project, opts))
	}
	list, err := all(ctx, project)
	return list, "", 0, err
}

// pageOf spreads a page for get.
func pageOf[T any](p *client.Page[T], err error) ([]T, string, int, error) {
	if err != nil {
		return nil, "", 0, err
	}
	return p.Items, p.Continue, p.Remaining, nil
}

// byCreation sorts items by creation time, oldest first, as kubectl lists (newest last); the
// order of equal times (or none) is kept.
func byCreation[T any](items []T, created func(*T) *time.Time) []T {
	slices.SortStableFunc(items, func(a, b T) int {
		ta, tb := created(&a), created(&b)
		switch {
		case ta == nil && tb == nil:
			return 0
		case ta == nil:
			return -1
		case tb == nil:
			return 1
		}
		return ta.Compare(*tb)
	})
	return items
}

// show prints items as a table (its columns made only then: they may need a request) or
// with out's printer.
func show[T any](w io.Writer, out *output, items []T, single bool, cols func() []column[T]) error {
	if out.table {
		if len(items) == 0 {
			return nil
		}
		return printTable(w, table(cols(), items), out.wide)
	}
	return printObjects(w, out, items, single)
}

// getProjects shows the projects the caller may see (or one of them).
func getProjects(cmd *cobra.Command, g *globals, out *output, name string) error {
	c, err := g.newClient()
	if err != nil {
		return err
	}
	names, err := c.Projects(cmd.Context())
	if err != nil {
		return err
	}
	if name != "" {
		if !slices.Contains(names, name) {
			return fmt.Errorf("project %q not found (or not visible to you): dray get projects lists them", name)
		}
		names = []string{name}
	}
	projects := make([]v1.Project, len(names))
	for i, n := range names {
		projects[i] = v1.Project{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject}, Metadata: v1.ObjectMeta{Name: n}}
	}
	if len(projects) == 0 && out.table {
		fmt.Fprintln(cmd.ErrOrStderr(), "No projects found.")
	}
	return show(cmd.OutOrStdout(), out, projects, name != "", func() []column[v1.Project] {
		return []column[v1.Project]{{name: "NAME", cell: func(p *v1.Project) string { return p.Metadata.Name }}}
	})
}

// aliasesOf maps the project's Freight names to their aliases (empty if they cannot be
// read: the table then shows names).
func aliasesOf(ctx context.Context, c *client.Client, project string) map[string]string {
	list, err := c.Freight(ctx, project)
	if err != nil {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, f := range list {
		m[f.Metadata.Name] = f.Alias
	}
	return m
}

// freightLabel is a Freight's alias, else its short name.
func freightLabel(aliases map[string]string, name string) string {
	if a := aliases[name]; a != "" {
		return a
	}
	return short(name)
}

func promotionColumns(aliases map[string]string) []column[v1.Promotion] {
	return []column[v1.Promotion]{
		{name: "NAME", cell: func(p *v1.Promotion) string { return p.Metadata.Name }},
		{name: "STAGE", cell: func(p *v1.Promotion) string { return p.Spec.Stage }},
		{name: "FREIGHT", cell: func(p *v1.Promotion) string { return freightLabel(aliases, p.Spec.Freight) }},
		{name: "PHASE", cell: func(p *v1.Promotion) string { return p.Status.Phase }},
		{name: "AGE", cell: func(p *v1.Promotion) string { return age(p.Metadata.CreationTimestamp) }},
		{name: "FREIGHT NAME", wide: true, cell: func(p *v1.Promotion) string { return p.Spec.Freight }},
		// Its class in the Stage's queue (docs/resources.md#the-queue): rollback, manual, auto
		// or verification.
		{name: "CLASS", wide: true, cell: func(p *v1.Promotion) string { return stagepkg.ClassOf(p) }},
		// A Promotion at a human step says what it waits for (docs/steps/wait-for-approval.md).
		{name: "MESSAGE", cell: func(p *v1.Promotion) string { return oneLine(promotion.Message(p)) }},
	}
}

// currentFreight is the Freight a Stage holds, one per origin (its history is newest first).
func currentFreight(s *v1.Stage, aliases map[string]string) string {
	var held []string
	seen := map[string]bool{}
	for _, h := range s.Status.FreightHistory {
		key := h.Origin.Kind + "/" + h.Origin.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		label := h.Alias
		if a := aliases[h.Freight]; a != "" {
			label = a
		}
		if label == "" {
			label = short(h.Freight)
		}
		if h.Rollback {
			label += " (rollback)" // an auto-rollback delivered it
		}
		held = append(held, label)
	}
	if len(held) == 0 && s.Status.FreightSummary != "" {
		return freightLabel(aliases, s.Status.FreightSummary)
	}
	return strings.Join(held, ",")
}

func stageColumns(aliases map[string]string) []column[v1.Stage] {
	return []column[v1.Stage]{
		{name: "NAME", cell: func(s *v1.Stage) string { return s.Metadata.Name }},
		{name: "FREIGHT", cell: func(s *v1.Stage) string { return currentFreight(s, aliases) }},
		{name: "HEALTH", cell: func(s *v1.Stage) string {
			if s.Status.Health != nil {
				return s.Status.Health.Status
			}
			return ""
		}},
		{name: "PAUSED", cell: func(s *v1.Stage) string {
			if s.Status.Paused != nil {
				return "yes"
			}
			return "no"
		}},
		// What its promotion windows say now (docs/resources.md#promotion-windows); empty
		// when none applies.
		{name: "WINDOW", cell: func(s *v1.Stage) string {
			switch w := s.Status.PromotionWindow; {
			case w == nil:
				return ""
			case w.Closed:
				return "closed"
			}
			return "open"
		}},
		{name: "QUEUED", cell: func(s *v1.Stage) string { return strconv.Itoa(len(s.Status.Queued)) }},
		{name: "PROMOTION", cell: func(s *v1.Stage) string {
			switch {
			case s.Status.CurrentPromotion != nil:
				return s.Status.CurrentPromotion.Name
			case s.Status.LastPromotion != nil:
				return s.Status.LastPromotion.Name
			}
			return ""
		}},
		{name: "PHASE", cell: func(s *v1.Stage) string {
			switch {
			case s.Status.CurrentPromotion != nil:
				return cmp.Or(s.Status.CurrentPromotion.Phase, v1.PhaseRunning)
			case s.Status.LastPromotion != nil:
				return s.Status.LastPromotion.Phase
			}
			return ""
		}},
		{name: "AGE", cell: func(s *v1.Stage) string { return age(s.Metadata.CreationTimestamp) }},
		{name: "WAITING", wide: true, cell: func(s *v1.Stage) string { return oneLine(s.Status.Waiting) }},
		{name: "PAUSED BY", wide: true, cell: func(s *v1.Stage) string {
			if p := s.Status.Paused; p != nil {
				return strings.TrimSpace(p.By + " " + p.Reason)
			}
			return ""
		}},
		{name: "VERIFICATION", wide: true, cell: func(s *v1.Stage) string { return oneLine(s.Status.Verification) }},
		{name: "WINDOW CHANGE", wide: true, cell: func(s *v1.Stage) string { return windowChange(s.Status.PromotionWindow) }},
	}
}

// windowChange says when a Stage's promotion windows next open or close, and why.
func windowChange(w *v1.PromotionWindowStatus) string {
	switch {
	case w == nil:
		return ""
	case w.Closed && w.NextOpen != nil:
		return oneLine("opens " + w.NextOpen.UTC().Format(time.RFC3339) + ": " + w.Reason)
	case w.Closed:
		return oneLine("no opening known: " + w.Reason)
	case w.NextClose != nil:
		return oneLine("closes " + w.NextClose.UTC().Format(time.RFC3339) + ": " + w.NextCloseReason)
	}
	return ""
}

func eventRouterColumns() []column[v1.EventRouter] {
	return []column[v1.EventRouter]{
		{name: "NAME", cell: func(r *v1.EventRouter) string { return r.Metadata.Name }},
		{name: "TYPES", cell: func(r *v1.EventRouter) string { return strings.Join(r.Spec.Types, ",") }},
		{name: "CHANNELS", cell: func(r *v1.EventRouter) string {
			var cs []string
			for _, c := range r.Spec.Channels {
				cs = append(cs, c.Kind+"/"+c.Name)
			}
			return strings.Join(cs, ",")
		}},
		{name: "WHEN", cell: func(r *v1.EventRouter) string { return r.Spec.When }},
		{name: "AGE", cell: func(r *v1.EventRouter) string { return age(r.Metadata.CreationTimestamp) }},
	}
}

func warehouseColumns() []column[v1.Warehouse] {
	ready := func(wh *v1.Warehouse) (string, string) {
		for _, c := range wh.Status.Conditions {
			if c.Type == "Ready" {
				return c.Status, c.Message
			}
		}
		return "Unknown", ""
	}
	return []column[v1.Warehouse]{
		{name: "NAME", cell: func(wh *v1.Warehouse) string { return wh.Metadata.Name }},
		{name: "READY", cell: func(wh *v1.Warehouse) string { r, _ := ready(wh); return r }},
		{name: "LAST FREIGHT", cell: func(wh *v1.Warehouse) string { return short(wh.Status.LastFreightID) }},
		{name: "DISCOVERED", cell: func(wh *v1.Warehouse) string {
			if d := wh.Status.DiscoveredArtifacts; d != nil && d.DiscoveredAt != nil {
				return age(d.DiscoveredAt)
			}
			return ""
		}},
		{name: "AGE", cell: func(wh *v1.Warehouse) string { return age(wh.Metadata.CreationTimestamp) }},
		{name: "MESSAGE", cell: func(wh *v1.Warehouse) string { _, m := ready(wh); return oneLine(m) }},
	}
}

// stagesIn lists the keys of a Freight status map in order.
func stagesIn[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

func freightColumns() []column[v1.Freight] {
	return []column[v1.Freight]{
		{name: "NAME", cell: func(f *v1.Freight) string { return f.Metadata.Name }},
		{name: "ALIAS", cell: func(f *v1.Freight) string { return f.Alias }},
		{name: "ORIGIN", cell: func(f *v1.Freight) string { return f.Origin.Name }},
		{name: "CURRENT IN", cell: func(f *v1.Freight) string { return stagesIn(f.Status.CurrentlyIn) }},
		{name: "VERIFIED IN", cell: func(f *v1.Freight) string { return stagesIn(f.Status.VerifiedIn) }},
		{name: "APPROVED FOR", cell: func(f *v1.Freight) string { return stagesIn(f.Status.ApprovedFor) }},
		{name: "AGE", cell: func(f *v1.Freight) string { return age(f.Metadata.CreationTimestamp) }},
		{name: "REJECTED", wide: true, cell: func(f *v1.Freight) string { return rejected(&f.Status) }},
		{name: "ARTIFACTS", wide: true, cell: func(f *v1.Freight) string { return artifacts(f) }},
	}
}

// artifacts names a Freight's images, commits and charts.
func artifacts(f *v1.Freight) string {
	var out []string
	for _, i := range f.Images {
		out = append(out, i.RepoURL+":"+i.Tag)
	}
	for _, c := range f.Commits {
		out = append(out, c.RepoURL+"@"+cmp.Or(c.Tag, short(c.ID)))
	}
	for _, c := range f.Charts {
		out = append(out, strings.TrimSuffix(c.RepoURL, "/")+"/"+c.Name+":"+c.Version)
	}
	return strings.Join(out, ",")
}

// secretView is a Secret as dray get shows it: its metadata, type and the names of its
// values, never the values.
type secretView struct {
	v1.TypeMeta `json:",inline"`
	Metadata    v1.ObjectMeta `json:"metadata"`
	Type        string        `json:"type,omitempty"`
	Keys        []string      `json:"keys"`
}

func secretViews(list []v1.SecretSummary) []secretView {
	out := make([]secretView, len(list))
	for i, s := range list {
		out[i] = secretView{TypeMeta: v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret},
			Metadata: v1.ObjectMeta{Name: s.Name, Namespace: s.Project, Labels: s.Labels}, Type: s.Type, Keys: s.Keys}
	}
	return out
}

func secretColumns() []column[secretView] {
	return []column[secretView]{
		{name: "NAME", cell: func(s *secretView) string { return s.Metadata.Name }},
		{name: "CRED TYPE", cell: func(s *secretView) string { return s.Metadata.Labels[v1.LabelCredType] }},
		{name: "KEYS", cell: func(s *secretView) string { return strings.Join(s.Keys, ",") }},
	}
}

// print writes v as json or yaml, for what has no table here (tokens).
func print(w io.Writer, format string, v any) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("unknown output format %q: use yaml or json", format)
}

// rejected says where a Freight is rejected: "all", the Stages, or "" (dray reject).
func rejected(fs *v1.FreightStatus) string {
	if fs.Rejected != nil {
		return "all"
	}
	return strings.Join(slices.Sorted(maps.Keys(fs.RejectedFor)), ",")
}

// printPromotion shows a Promotion and each step's status, timing and outputs.
func printPromotion(w io.Writer, p *v1.Promotion, aliases map[string]string) {
	tw, ok := w.(*tabwriter.Writer)
	if !ok {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		defer tw.Flush()
	}
	freight := p.Spec.Freight
	if a := aliases[freight]; a != "" {
		freight = a + " (" + freight + ")"
	}
	fmt.Fprintf(tw, "Promotion:\t%s\nStage:\t%s\nFreight:\t%s\nPhase:\t%s\n", p.Metadata.Name, p.Spec.Stage, freight, p.Status.Phase)
	if p.Status.Message != "" {
		fmt.Fprintf(tw, "Message:\t%s\n", p.Status.Message)
	}
	fmt.Fprintln(tw, "\nSTEP\tUSES\tSTATUS\tATTEMPTS\tDURATION\tOUTPUTS / MESSAGE")
	for i, s := range p.Spec.Steps {
		status, attempts, dur, detail := "Pending", "", "", ""
		if i < len(p.Status.StepExecutionMetadata) {
			m := p.Status.StepExecutionMetadata[i]
			status, attempts = m.Status, fmt.Sprint(m.Attempts)
			if m.StartedAt != nil && m.FinishedAt != nil {
				dur = m.FinishedAt.Sub(*m.StartedAt).Round(time.Millisecond).String()
			}
			detail = m.Message
		}
		if out, ok := p.Status.State[s.As]; ok && len(out) > 0 {
			b, _ := json.Marshal(out)
			detail = strings.TrimSpace(string(b) + " " + detail)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.As, s.Uses, status, attempts, dur, oneLine(detail))
	}
}

// connect returns a client of the gateway and the project the command works in.
func (g *globals) connect(ctx context.Context) (*client.Client, string, error) {
	c, err := g.newClient()
	if err != nil {
		return nil, "", err
	}
	project, err := g.resolveProject(ctx, c)
	return c, project, err
}

func (g *globals) resolveProject(ctx context.Context, c *client.Client) (string, error) {
	projects, err := c.Projects(ctx)
	if err != nil {
		return "", err
	}
	if g.project != "" {
		if !slices.Contains(projects, g.project) {
			return "", fmt.Errorf("project %q not found (or not visible to you): check --project or $DRAY_PROJECT; dray get projects lists them", g.project)
		}
		return g.project, nil
	}
	switch len(projects) {
	case 1:
		return projects[0], nil
	case 0:
		return "", fmt.Errorf("no project exists yet: apply a Project, or name one with --project")
	}
	return "", fmt.Errorf("several projects exist (%s): name one with --project", strings.Join(projects, ", "))
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
