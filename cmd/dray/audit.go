package main

import (
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func newAudit(g *globals) *cobra.Command {
	var (
		actor, verb, resource, output, from, to string
		since                                   time.Duration
		limit                                   int
		all                                     bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit trail: who asked what, from where, and what Dray answered",
		Long: `Show the audit trail of a project, oldest first: every mutating request to the API,
allowed or refused, every request refused with 401 or 403, and every command the scheduler
or warehouse accepted or rejected (source bus: the actor is what the command claims). A
project's admins read its trail; --all-projects (every project's trail) needs a system admin.`,
		Example: `  dray audit --since 1h
  dray audit --actor token:demo/ci --verb promote
  dray audit --all-projects --from 2025-06-01T00:00:00Z --to 2025-06-02T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"actor": actor, "verb": verb, "resource": resource, "from": from, "to": to} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if since > 0 {
				if from != "" {
					return fmt.Errorf("--since and --from choose the start twice: give one")
				}
				q.Set("from", time.Now().Add(-since).UTC().Format(time.RFC3339Nano))
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			project := ""
			switch {
			case all && g.project != "":
				q.Set("project", g.project) // a system admin narrows the system-wide route
			case !all:
				if project, err = g.resolveProject(cmd.Context(), c); err != nil {
					return err
				}
			}
			var recs []v1.AuditRecord
			for {
				q.Set("limit", strconv.Itoa(min(limit-len(recs), 1000)))
				page, err := c.Audit(cmd.Context(), project, q)
				if err != nil {
					return err
				}
				recs = append(recs, page.Records...)
				if page.Continue == "" || len(recs) >= limit {
					break
				}
				q.Set("continue", page.Continue)
			}
			if output != "" {
				return print(cmd.OutOrStdout(), output, recs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			defer tw.Flush()
			fmt.Fprintln(tw, "TIME\tSOURCE\tACTOR\tVERB\tRESOURCE\tPROJECT\tRESULT\tSTATUS\tFROM\tREASON")
			for _, r := range recs {
				res := r.Resource
				if r.Name != "" {
					res += "/" + r.Name
				}
				status := "-"
				if r.Status != 0 {
					status = strconv.Itoa(r.Status)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format(time.DateTime), r.Source, r.Actor, r.Verb,
					dash(res), dash(r.Project), r.Result, status, dash(r.RemoteAddr), truncateReason(reasonOf(r)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&actor, "actor", "", "only records of this actor, e.g. token:demo/ci")
	f.StringVar(&verb, "verb", "", "only records of this verb, e.g. promote, apply, approve")
	f.StringVar(&resource, "resource", "", "only records about this kind of resource, e.g. stages, tokens")
	f.DurationVar(&since, "since", 24*time.Hour, "only records of this long ago or later (0: from the start)")
	f.StringVar(&from, "from", "", "only records at or after this RFC 3339 time (instead of --since)")
	f.StringVar(&to, "to", "", "only records before this RFC 3339 time")
	f.IntVar(&limit, "limit", 500, "at most this many records")
	f.BoolVar(&all, "all-projects", false, "every project's trail, and the system's (a system admin only)")
	f.StringVarP(&output, "output", "o", "", "json or yaml")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("from") && !cmd.Flags().Changed("since") {
			since = 0
		}
		if limit <= 0 {
			return fmt.Errorf("--limit must be positive, got %d", limit)
		}
		return nil
	}
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncateReason(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// reasonOf is what the REASON column shows: why a request was refused or failed, or the
// safeguard an allowed one overrode.
func reasonOf(r v1.AuditRecord) string {
	if r.Reason == "" && r.Override != "" {
		return "overrode " + r.Override
	}
	return r.Reason
}
