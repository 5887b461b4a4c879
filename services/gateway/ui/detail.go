package ui

import (
	"cmp"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// HistoryEntry is one thing that happened to a Freight: a Stage received it (through a
// Promotion, maybe a rollback), it was verified in a Stage, approved for one, or rejected.
type HistoryEntry struct {
	At *time.Time
	// What is received, verified, approved or rejected.
	What, Stage string
	// Promotion is the Promotion that delivered it (received only).
	Promotion string
	// By is who did it: the Promotion's actor, the approver or the rejecter.
	By string
	// Rollback marks a delivery by an auto-rollback Promotion; Current one the Stage still
	// holds.
	Rollback, Current bool
	// Detail is the soak of a verification or the reason of a rejection.
	Detail string
}

// FreightHistory tells what happened to f, newest first: the deliveries recorded in the
// Stages' freightHistory (each Stage keeps its last v1.MaxStageHistory) and the
// verifications, approvals and rejections in f's status.
func FreightHistory(f *v1.Freight, stages []v1.Stage) []HistoryEntry {
	var out []HistoryEntry
	for i := range stages {
		s := &stages[i]
		current := map[string]bool{}
		for _, h := range s.Status.FreightHistory {
			key := h.Origin.Kind + "/" + h.Origin.Name
			first := !current[key]
			current[key] = true
			if h.Freight != f.Metadata.Name {
				continue
			}
			out = append(out, HistoryEntry{At: h.Since, What: "received", Stage: s.Metadata.Name, Promotion: h.Promotion,
				By: h.Actor, Rollback: h.Rollback, Current: first})
		}
	}
	for stage, v := range f.Status.VerifiedIn {
		e := HistoryEntry{At: v.VerifiedAt, What: "verified", Stage: stage}
		if v.LongestSoak != "" {
			e.Detail = "soaked " + v.LongestSoak
		}
		out = append(out, e)
	}
	for stage, a := range f.Status.ApprovedFor {
		out = append(out, HistoryEntry{At: a.ApprovedAt, What: "approved", Stage: stage, By: a.By})
	}
	for stage, r := range f.Status.RejectedFor {
		out = append(out, HistoryEntry{At: r.At, What: "rejected", Stage: stage, By: r.By, Detail: r.Reason})
	}
	if r := f.Status.Rejected; r != nil {
		out = append(out, HistoryEntry{At: r.At, What: "rejected", By: r.By, Detail: r.Reason})
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int {
		return cmp.Or(timeOf(b.At).Compare(timeOf(a.At)), strings.Compare(a.Stage, b.Stage), strings.Compare(a.What, b.What))
	})
	return out
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Rejection is where a Freight is rejected: for every Stage (Stage "") or for one.
type Rejection struct {
	Stage string
	v1.FreightRejection
}

// Rejections lists f's rejections, the one for all Stages first.
func Rejections(f *v1.Freight) []Rejection {
	var out []Rejection
	if f.Status.Rejected != nil {
		out = append(out, Rejection{FreightRejection: *f.Status.Rejected})
	}
	for _, s := range sortedKeys(f.Status.RejectedFor) {
		out = append(out, Rejection{Stage: s, FreightRejection: f.Status.RejectedFor[s]})
	}
	return out
}

// ArtifactDiff is one repository's artifact in two Freight: what it is in each, and
// whether it changed. A or B is "" when that Freight has no artifact from the repository.
type ArtifactDiff struct {
	Kind, Repo string
	A, B       string
	// AMessage and BMessage are the commits' first lines (git only).
	AMessage, BMessage string
	Changed            bool
}

// CompareFreight tells what changed between Freight a and b, per repository: image tags and
// digests, commit ids (with their messages) and tags, chart versions, generic artifacts'
// versions. Repositories come in a's order, then those only b has.
func CompareFreight(a, b *v1.Freight) []ArtifactDiff {
	as, bs := artifactsByRepo(a), artifactsByRepo(b)
	var out []ArtifactDiff
	for _, x := range as {
		d := ArtifactDiff{Kind: x.Kind, Repo: x.Repo, A: x.A, AMessage: x.AMessage}
		if i := slices.IndexFunc(bs, func(y ArtifactDiff) bool { return y.Kind == x.Kind && y.Repo == x.Repo }); i >= 0 {
			d.B, d.BMessage = bs[i].A, bs[i].AMessage
		}
		d.Changed = d.A != d.B
		out = append(out, d)
	}
	for _, y := range bs {
		if !slices.ContainsFunc(as, func(x ArtifactDiff) bool { return x.Kind == y.Kind && x.Repo == y.Repo }) {
			out = append(out, ArtifactDiff{Kind: y.Kind, Repo: y.Repo, B: y.A, BMessage: y.AMessage, Changed: true})
		}
	}
	return out
}

// artifactsByRepo lists f's artifacts, each in A.
func artifactsByRepo(f *v1.Freight) []ArtifactDiff {
	var out []ArtifactDiff
	for _, c := range f.Commits {
		v := short(c.ID)
		if c.Tag != "" {
			v = strings.TrimSpace(c.Tag + " " + v)
		}
		out = append(out, ArtifactDiff{Kind: "git", Repo: c.RepoURL, A: v, AMessage: firstLine(c.Message)})
	}
	for _, i := range f.Images {
		v := i.Tag
		if i.Digest != "" {
			v = strings.TrimSpace(v + " " + short(strings.TrimPrefix(i.Digest, "sha256:")))
		}
		out = append(out, ArtifactDiff{Kind: "image", Repo: i.RepoURL, A: v})
	}
	for _, c := range f.Charts {
		out = append(out, ArtifactDiff{Kind: "chart", Repo: strings.TrimSuffix(c.RepoURL, "/") + cmp.Or(prefixed("/", c.Name), ""), A: c.Version})
	}
	for _, g := range f.Artifacts {
		out = append(out, ArtifactDiff{Kind: g.ArtifactType, Repo: g.SubscriptionName, A: g.Version})
	}
	return out
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// Link is something a step produced, with a link to it when one is known.
type Link struct {
	// Kind is commit, pull request or Argo CD Application.
	Kind, Text, URL string
}

// StepLinks finds what step m of a Promotion produced: the commit git-push pushed (a link
// from its commitURL output, else one made from the repository git-clone cloned when its
// host is GitHub- or GitLab-like, else the SHA), the pull request git-open-pr opened, and
// the Argo CD Applications argocd-update synced (linked into argoCD's UI when it is set).
// steps are the Promotion's executed steps, to find the clone of git-push's path.
func StepLinks(m v1.StepExecutionMetadata, outputs map[string]any, steps []v1.StepExecutionMetadata, argoCD string) []Link {
	switch m.Uses {
	case "git-push", "github-push":
		sha, _ := outputs["commit"].(string)
		if sha == "" {
			return nil
		}
		l := Link{Kind: "commit", Text: short(sha)}
		if u, _ := outputs["commitURL"].(string); safeURL(u) {
			l.URL = u
		} else if repo := cloneOf(m, steps); repo != "" {
			l.URL = CommitURL(repo, sha)
		}
		return []Link{l}
	case "git-open-pr":
		pr, _ := outputs["pr"].(map[string]any)
		u, _ := pr["url"].(string)
		if u == "" {
			return nil
		}
		l := Link{Kind: "pull request", Text: u}
		if id := pr["id"]; id != nil {
			l.Text = "#" + toString(id)
		}
		if safeURL(u) {
			l.URL = u
		}
		return []Link{l}
	case "argocd-update":
		apps, _ := outputs["apps"].([]any)
		var out []Link
		for _, a := range apps {
			app, _ := a.(map[string]any)
			name, _ := app["name"].(string)
			ns, _ := app["namespace"].(string)
			if name == "" {
				continue
			}
			l := Link{Kind: "Argo CD Application", Text: name}
			if ns != "" {
				l.Text = ns + "/" + name
			}
			if argoCD != "" {
				l.URL = strings.TrimRight(argoCD, "/") + "/applications/" + url.PathEscape(cmp.Or(ns, "argocd")) + "/" + url.PathEscape(name)
			}
			out = append(out, l)
		}
		return out
	}
	return nil
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// safeURL keeps links to http(s) addresses only: an output is data a step wrote.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// cloneOf finds the repository a git-push step pushes: that of the git-clone whose checkout
// path holds the push's path, or the only git-clone of the Promotion.
func cloneOf(push v1.StepExecutionMetadata, steps []v1.StepExecutionMetadata) string {
	where, _ := push.Config["path"].(string)
	var repos []string
	for _, s := range steps {
		if s.Uses != "git-clone" {
			continue
		}
		repo, _ := s.Config["repoURL"].(string)
		if repo == "" {
			continue
		}
		repos = append(repos, repo)
		checkouts, _ := s.Config["checkout"].([]any)
		for _, c := range checkouts {
			p, _ := c.(map[string]any)["path"].(string)
			if p != "" && where != "" && (path.Clean(where) == path.Clean(p) || strings.HasPrefix(path.Clean(where), path.Clean(p)+"/")) {
				return repo
			}
		}
	}
	if len(slices.Compact(repos)) == 1 {
		return repos[0]
	}
	return ""
}

// CommitURL links a commit of repo on a GitHub- or GitLab-like host (one whose name says
// github, gitlab, gitea, codeberg or forgejo), "" elsewhere: other hosts' commit pages are
// not guessed.
func CommitURL(repo, sha string) string {
	u, err := url.Parse(strings.TrimSpace(repo))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	if p == "" || strings.ContainsAny(sha, "/?#") {
		return ""
	}
	base := u.Scheme + "://" + u.Host + "/" + p
	switch {
	case strings.Contains(host, "gitlab"):
		return base + "/-/commit/" + sha
	case strings.Contains(host, "github"), strings.Contains(host, "gitea"), strings.Contains(host, "codeberg"), strings.Contains(host, "forgejo"):
		return base + "/commit/" + sha
	}
	return ""
}
