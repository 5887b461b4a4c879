package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
)

func newGet(g *globals) *cobra.Command {
	var (
		output, cont string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "get KIND [NAME]",
		Short: "Show promotions, stages, warehouses, freight or secrets",
		Long: `Show resources of a project. KIND is promotions (promotion), stages (stage), warehouses
(warehouse), freight or secrets (names and keys only: values never leave the server).
With a NAME, show that one: a promotion with each step's status, timing and outputs; a
warehouse with what it discovered and its errors.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, project, err := g.connect(ctx)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			var v any
			opts := client.ListOptions{Limit: limit, Continue: cont}
			paged := limit != 0 || cont != ""
			var next string
			var remaining int
			switch kind := strings.ToLower(args[0]); kind {
			case "promotion", "promotions", "promo":
				if name != "" {
					v, err = c.Promotion(ctx, project, name)
				} else if paged {
					v, next, remaining, err = pageOf(c.PromotionPage(ctx, project, opts))
				} else {
					v, err = c.Promotions(ctx, project)
				}
			case "stage", "stages":
				if name != "" {
					v, err = c.Stage(ctx, project, name)
				} else if paged {
					v, next, remaining, err = pageOf(c.StagePage(ctx, project, opts))
				} else {
					v, err = c.Stages(ctx, project)
				}
			case "warehouse", "warehouses":
				if name != "" {
					v, err = c.Warehouse(ctx, project, name)
				} else if paged {
					v, next, remaining, err = pageOf(c.WarehousePage(ctx, project, opts))
				} else {
					v, err = c.Warehouses(ctx, project)
				}
			case "freight":
				if paged {
					v, next, remaining, err = pageOf(c.FreightPage(ctx, project, opts))
				} else {
					v, err = c.Freight(ctx, project)
				}
			case "secret", "secrets":
				if paged {
					v, next, remaining, err = pageOf(c.SecretPage(ctx, project, opts))
				} else {
					v, err = c.Secrets(ctx, project)
				}
			case "token", "tokens":
				return printTokens(cmd, c, project, output)
			default:
				return fmt.Errorf("unknown kind %q: use promotions, stages, warehouses, freight, secrets or tokens", args[0])
			}
			if err != nil {
				return err
			}
			if next != "" {
				more := "dray get " + args[0]
				if limit > 0 {
					more += " --limit " + strconv.Itoa(limit)
				}
				defer fmt.Fprintf(cmd.ErrOrStderr(), "%d more: %s --continue %s\n", remaining, more, next)
			}
			return print(cmd.OutOrStdout(), output, v)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "yaml or json (default: a table)")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many (1 to 1000) and say how to ask for the rest (default: all, read page by page)")
	cmd.Flags().StringVar(&cont, "continue", "", "the token a --limit listing printed, to show the next page")
	return cmd
}

// pageOf spreads a page for get.
func pageOf[T any](p *client.Page[T], err error) (any, string, int, error) {
	if err != nil {
		return nil, "", 0, err
	}
	return p.Items, p.Continue, p.Remaining, nil
}

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
	case "":
	default:
		return fmt.Errorf("unknown output format %q: use yaml or json", format)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch v := v.(type) {
	case *v1.Promotion:
		printPromotion(tw, v)
	case []v1.Promotion:
		fmt.Fprintln(tw, "NAME\tSTAGE\tFREIGHT\tPHASE\tAGE")
		for _, p := range v {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Metadata.Name, p.Spec.Stage, short(p.Spec.Freight), p.Status.Phase, age(p.Metadata.CreationTimestamp))
		}
	case *v1.Stage:
		return print(w, "yaml", v)
	case []v1.Stage:
		fmt.Fprintln(tw, "NAME\tFREIGHT\tCURRENT PROMOTION\tLAST PROMOTION\tPHASE")
		for _, s := range v {
			cur, last, phase := "", "", ""
			if s.Status.CurrentPromotion != nil {
				cur = s.Status.CurrentPromotion.Name
			}
			if s.Status.LastPromotion != nil {
				last, phase = s.Status.LastPromotion.Name, s.Status.LastPromotion.Phase
			}
			freight := short(s.Status.FreightSummary)
			if len(s.Status.FreightHistory) > 0 && s.Status.FreightHistory[0].Rollback {
				freight += " (rollback)" // an auto-rollback delivered it
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Metadata.Name, freight, cur, last, phase)
		}
	case []v1.SecretSummary:
		fmt.Fprintln(tw, "NAME\tCRED TYPE\tKEYS")
		for _, s := range v {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Labels[v1.LabelCredType], strings.Join(s.Keys, ","))
		}
	case *v1.Warehouse:
		return print(w, "yaml", v)
	case []v1.Warehouse:
		fmt.Fprintln(tw, "NAME\tREADY\tLAST FREIGHT\tDISCOVERED\tMESSAGE")
		for _, wh := range v {
			ready, msg := "Unknown", ""
			for _, c := range wh.Status.Conditions {
				if c.Type == "Ready" {
					ready, msg = c.Status, c.Message
				}
			}
			var discovered *time.Time
			if d := wh.Status.DiscoveredArtifacts; d != nil {
				discovered = d.DiscoveredAt
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", wh.Metadata.Name, ready, short(wh.Status.LastFreightID), age(discovered), oneLine(msg))
		}
	case []v1.Freight:
		fmt.Fprintln(tw, "NAME\tALIAS\tORIGIN\tAGE\tREJECTED")
		for _, f := range v {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Metadata.Name, f.Alias, f.Origin.Name, age(f.Metadata.CreationTimestamp), rejected(&f.Status))
		}
	}
	return nil
}

// rejected says where a Freight is rejected: "all", the Stages, or "" (dray reject).
func rejected(fs *v1.FreightStatus) string {
	if fs.Rejected != nil {
		return "all"
	}
	return strings.Join(slices.Sorted(maps.Keys(fs.RejectedFor)), ",")
}

// printPromotion shows a Promotion and each step's status, timing and outputs.
func printPromotion(w io.Writer, p *v1.Promotion) {
	tw, ok := w.(*tabwriter.Writer)
	if !ok {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		defer tw.Flush()
	}
	fmt.Fprintf(tw, "Promotion:\t%s\nStage:\t%s\nFreight:\t%s\nPhase:\t%s\n", p.Metadata.Name, p.Spec.Stage, p.Spec.Freight, p.Status.Phase)
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
	if g.project != "" {
		return g.project, nil
	}
	projects, err := c.Projects(ctx)
	if err != nil {
		return "", err
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

func age(t *time.Time) string {
	if t == nil {
		return ""
	}
	return time.Since(*t).Round(time.Second).String()
}
