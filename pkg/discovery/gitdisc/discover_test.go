package gitdisc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/discovery/gitdisc"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
)

// history is a repository on a git smart-HTTP server, with the names of its commits.
type history struct {
	srv   *gittest.Server
	url   string
	names map[string]string // sha → name
	shas  map[string]string // name → sha
}

const longSubject = "chore: a subject line that goes on and on well past the eighty bytes that a subject may keep"

// at makes the git CLI date what it creates next (commits and annotated tags) t.
func at(t *testing.T, when string) {
	t.Setenv("GIT_COMMITTER_DATE", when)
	t.Setenv("GIT_AUTHOR_DATE", when)
}

// newHistory builds, on main (first-parent order, newest first):
//
//	c5 2024-06-01 README.md (long subject)
//	m  2024-05-01 merge of feature (f1 2024-03-15, apps/web/feature.html)
//	c4 2024-04-01 apps/api/main.go
//	c3 2024-03-01 docs/guide.md
//	c2 2024-02-01 apps/web/index.html
//	c1 2024-01-01 README.md
//
// and the tags v1.0.0 (c2), 1.2 (c3), v1.1.0 (c3, annotated 2025-01-01), v2.0.0-rc.1 (c4),
// latest (c2, annotated 2023-06-01), v0.9.0 (f1).
func newHistory(t *testing.T) *history {
	srv := gittest.NewServer(t)
	h := &history{srv: srv, names: map[string]string{}, shas: map[string]string{}}
	add := func(name, sha string) { h.names[sha], h.shas[name] = name, sha }
	at(t, "2024-01-01T00:00:00Z")
	h.url = srv.Repo(t, "app", map[string]string{"README.md": "hello\n"})
	add("c1", srv.Head(t, "app", "main"))
	at(t, "2024-02-01T00:00:00Z")
	add("c2", srv.Commit(t, "app", "main", "web: first page", map[string]string{"apps/web/index.html": "<p>hi</p>\n"}))
	at(t, "2024-03-01T00:00:00Z")
	add("c3", srv.Commit(t, "app", "main", "docs: guide\n\nlonger text", map[string]string{"docs/guide.md": "# guide\n"}))
	srv.Git(t, "app", "branch", "feature", "main")
	at(t, "2024-03-15T00:00:00Z")
	add("f1", srv.Commit(t, "app", "feature", "feature work", map[string]string{"apps/web/feature.html": "<p>new</p>\n"}))
	at(t, "2024-04-01T00:00:00Z")
	add("c4", srv.Commit(t, "app", "main", "api: main", map[string]string{"apps/api/main.go": "package main\n"}))
	at(t, "2024-05-01T00:00:00Z")
	work := t.TempDir()
	gittest.RunGit(t, "", "clone", "--quiet", srv.Dir(t, "app"), work)
	gittest.RunGit(t, work, "merge", "--no-ff", "--quiet", "-m", "Merge feature", "origin/feature")
	gittest.RunGit(t, work, "push", "--quiet", "origin", "main")
	add("m", srv.Head(t, "app", "main"))
	at(t, "2024-06-01T00:00:00Z")
	add("c5", srv.Commit(t, "app", "main", longSubject, map[string]string{"README.md": "hello again\n"}))

	srv.Git(t, "app", "tag", "v1.0.0", h.shas["c2"])
	srv.Git(t, "app", "tag", "1.2", h.shas["c3"])
	srv.Git(t, "app", "tag", "v2.0.0-rc.1", h.shas["c4"])
	srv.Git(t, "app", "tag", "v0.9.0", h.shas["f1"])
	at(t, "2025-01-01T00:00:00Z")
	srv.Git(t, "app", "tag", "-a", "v1.1.0", "-m", "Release 1.1.0\n\nnotes", h.shas["c3"])
	at(t, "2023-06-01T00:00:00Z")
	srv.Git(t, "app", "tag", "-a", "latest", "-m", "moving", h.shas["c2"])
	return h
}

// commits names the commits of a result, or their tags when tagged.
func (h *history) commits(res v1.GitDiscoveryResult) []string {
	out := []string{}
	for _, c := range res.Commits {
		if c.Tag != "" {
			out = append(out, c.Tag)
		} else {
			out = append(out, h.names[c.ID])
		}
	}
	return out
}

func TestDiscover(t *testing.T) {
	h := newHistory(t)
	no := false
	tests := []struct {
		name string
		sub  v1.GitSubscription
		want []string
	}{
		{"newest from default branch, first parent only", v1.GitSubscription{}, []string{"c5", "m", "c4", "c3", "c2", "c1"}},
		{"newest from branch main, limited", v1.GitSubscription{Branch: "main", DiscoveryLimit: 2}, []string{"c5", "m"}},
		{"newest from feature branch", v1.GitSubscription{Branch: "feature"}, []string{"f1", "c3", "c2", "c1"}},
		{"since", v1.GitSubscription{Since: "2024-03-10T00:00:00Z"}, []string{"c5", "m", "c4"}},
		{"include directory prefix", v1.GitSubscription{IncludePaths: []string{"apps"}}, []string{"m", "c4", "c2"}},
		{"prefix stops at a directory boundary", v1.GitSubscription{IncludePaths: []string{"apps/we"}}, []string{}},
		{"include and exclude glob", v1.GitSubscription{IncludePaths: []string{"apps/web/"}, ExcludePaths: []string{"glob:**/feature.html"}}, []string{"c2"}},
		{"include regex", v1.GitSubscription{IncludePaths: []string{"regex:^apps/api/"}}, []string{"c4"}},
		{"include regexp, limited", v1.GitSubscription{IncludePaths: []string{"regexp:html$"}, DiscoveryLimit: 1}, []string{"m"}},
		{"exclude glob and file", v1.GitSubscription{ExcludePaths: []string{"glob:**/*.md", "README.md"}}, []string{"m", "c4", "c2"}},
		{"expression on subject", v1.GitSubscription{ExpressionFilter: `subject startsWith "api"`}, []string{"c4"}},
		{"expression on commit date", v1.GitSubscription{ExpressionFilter: `commitDate < date("2024-03-02")`}, []string{"c3", "c2", "c1"}},
		{"expression with a non-bool result", v1.GitSubscription{ExpressionFilter: `subject == "docs: guide" ? "true" : 0`}, []string{"c3"}},
		{"expression and paths", v1.GitSubscription{ExpressionFilter: `id != "` + h.shas["c4"] + `"`, IncludePaths: []string{"apps"}}, []string{"m", "c2"}},

		{"semver strict", v1.GitSubscription{CommitSelectionStrategy: "SemVer"}, []string{"v2.0.0-rc.1", "v1.1.0", "v1.0.0", "v0.9.0"}},
		{"semver constraint", v1.GitSubscription{CommitSelectionStrategy: "SemVer", SemverConstraint: "^1.0.0"}, []string{"v1.1.0", "v1.0.0"}},
		{"semver lenient", v1.GitSubscription{CommitSelectionStrategy: "SemVer", StrictSemvers: &no}, []string{"v2.0.0-rc.1", "1.2", "v1.1.0", "v1.0.0", "v0.9.0"}},
		{"semver ignore regex", v1.GitSubscription{CommitSelectionStrategy: "SemVer", IgnoreTagsRegexes: []string{"-rc"}}, []string{"v1.1.0", "v1.0.0", "v0.9.0"}},
		{"lexical", v1.GitSubscription{CommitSelectionStrategy: "Lexical"}, []string{"v2.0.0-rc.1", "v1.1.0", "v1.0.0", "v0.9.0", "latest", "1.2"}},
		{"lexical allow regex, limited", v1.GitSubscription{CommitSelectionStrategy: "Lexical", AllowTagsRegexes: []string{"^v"}, DiscoveryLimit: 3}, []string{"v2.0.0-rc.1", "v1.1.0", "v1.0.0"}},
		{"lexical ignore wins over allow", v1.GitSubscription{CommitSelectionStrategy: "Lexical", AllowTagsRegexes: []string{"^v1"}, IgnoreTagsRegexes: []string{`1\.1`}}, []string{"v1.0.0"}},
		{"lexical with paths", v1.GitSubscription{CommitSelectionStrategy: "Lexical", IncludePaths: []string{"apps"}}, []string{"v2.0.0-rc.1", "v1.0.0", "v0.9.0", "latest"}},
		{"newest tag: tagger date, else commit date", v1.GitSubscription{CommitSelectionStrategy: "NewestTag"}, []string{"v1.1.0", "v2.0.0-rc.1", "v0.9.0", "1.2", "v1.0.0", "latest"}},
		{"newest tag, annotated only", v1.GitSubscription{CommitSelectionStrategy: "NewestTag", ExpressionFilter: `tagger != ""`}, []string{"v1.1.0", "latest"}},
		{"newest tag by annotation", v1.GitSubscription{CommitSelectionStrategy: "NewestTag", ExpressionFilter: `annotation == "Release 1.1.0"`}, []string{"v1.1.0"}},
		{"semver with expression on tag and subject", v1.GitSubscription{CommitSelectionStrategy: "SemVer", ExpressionFilter: `tag != "v1.0.0" && !(subject contains "api")`}, []string{"v1.1.0", "v0.9.0"}},
		{"no tag matches", v1.GitSubscription{CommitSelectionStrategy: "SemVer", SemverConstraint: ">=5"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.RepoURL = h.url
			res, err := gitdisc.Discover(t.Context(), tt.sub, gitdisc.Options{})
			if err != nil {
				t.Fatalf("Discover(%+v): %v", tt.sub, err)
			}
			if res.RepoURL != h.url {
				t.Errorf("RepoURL = %q, want %q", res.RepoURL, h.url)
			}
			if diff := cmp.Diff(tt.want, h.commits(res)); diff != "" {
				t.Errorf("Discover(%+v) commits (-want +got):\n%s", tt.sub, diff)
			}
		})
	}
}

func TestDiscoverRecords(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	date := func(s string) *time.Time {
		d, _ := time.Parse(time.RFC3339, s)
		return &d
	}
	someone := "Someone Else <else@example.com>"

	res, err := gitdisc.Discover(ctx, v1.GitSubscription{RepoURL: h.url, DiscoveryLimit: 1}, gitdisc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []v1.DiscoveredCommit{{
		ID: h.shas["c5"], Subject: longSubject[:77] + "...", Author: someone, Committer: someone,
		CreatorDate: date("2024-06-01T00:00:00Z"),
	}}
	if diff := cmp.Diff(want, res.Commits); diff != "" {
		t.Errorf("default branch record (-want +got):\n%s", diff)
	}

	res, err = gitdisc.Discover(ctx, v1.GitSubscription{RepoURL: h.url, Branch: "main", IncludePaths: []string{"docs"}}, gitdisc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = []v1.DiscoveredCommit{{
		ID: h.shas["c3"], Branch: "main", Subject: "docs: guide", Author: someone, Committer: someone,
		CreatorDate: date("2024-03-01T00:00:00Z"),
	}}
	if diff := cmp.Diff(want, res.Commits); diff != "" {
		t.Errorf("named branch record (-want +got):\n%s", diff)
	}

	res, err = gitdisc.Discover(ctx, v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "NewestTag", DiscoveryLimit: 2}, gitdisc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = []v1.DiscoveredCommit{
		{ID: h.shas["c3"], Tag: "v1.1.0", Subject: "docs: guide", Author: someone, Committer: someone, CreatorDate: date("2025-01-01T00:00:00Z")},
		{ID: h.shas["c4"], Tag: "v2.0.0-rc.1", Subject: "api: main", Author: someone, Committer: someone, CreatorDate: date("2024-04-01T00:00:00Z")},
	}
	if diff := cmp.Diff(want, res.Commits); diff != "" {
		t.Errorf("tag records (-want +got):\n%s", diff)
	}
}

func TestDiscoverErrors(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name    string
		sub     v1.GitSubscription
		want    string
		invalid bool
	}{
		{"unknown strategy", v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "Newest"}, `commitSelectionStrategy "Newest"`, true},
		{"deprecated allowTags", v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "Lexical", AllowTags: "^v"}, "allowTagsRegexes", true},
		{"bad tag regex", v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "Lexical", IgnoreTagsRegexes: []string{"("}}, "ignoreTagsRegexes[0]", true},
		{"bad constraint", v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "SemVer", SemverConstraint: "not a range"}, "semverConstraint", true},
		{"bad since", v1.GitSubscription{RepoURL: h.url, Since: "yesterday"}, `since "yesterday"`, true},
		{"bad glob", v1.GitSubscription{RepoURL: h.url, IncludePaths: []string{"glob:[a"}}, "includePaths[0]", true},
		{"bad regex path", v1.GitSubscription{RepoURL: h.url, ExcludePaths: []string{"regex:("}}, "excludePaths[0]", true},
		{"expression does not compile", v1.GitSubscription{RepoURL: h.url, ExpressionFilter: "subject ==="}, "expressionFilter", true},
		{"expression gives no boolean", v1.GitSubscription{RepoURL: h.url, ExpressionFilter: `"maybe"`}, "not a boolean", false},
		{"missing branch", v1.GitSubscription{RepoURL: h.url, Branch: "nope"}, `branch "nope" does not exist`, false},
		{"missing repository", v1.GitSubscription{RepoURL: h.srv.URL + "/nope.git"}, "list references of " + h.srv.URL + "/nope.git", false},
		{"unreachable, credentials redacted", v1.GitSubscription{RepoURL: "http://user:hunter2@127.0.0.1:1/x.git"}, "list references of http://127.0.0.1:1/x.git", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gitdisc.Discover(t.Context(), tt.sub, gitdisc.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Discover(%+v) = %v, want an error containing %q", tt.sub, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Discover error %q carries the password", err)
			}
			if got := errors.Is(err, gitdisc.ErrInvalidSubscription); got != tt.invalid {
				t.Errorf("errors.Is(%v, ErrInvalidSubscription) = %v, want %v", err, got, tt.invalid)
			}
		})
	}
	_, err := gitdisc.Discover(t.Context(), v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "SemVer", IgnoreTags: []string{"x"}}, gitdisc.Options{})
	if !errors.Is(err, discovery.ErrDeprecatedField) {
		t.Errorf("Discover(ignoreTags set) = %v, want discovery.ErrDeprecatedField", err)
	}
}

// TestDiscoverReusesUnchangedResult: with a Cache, a second discovery of an unchanged branch
// or tag set lists references only; a new commit or tag is fetched.
func TestDiscoverReusesUnchangedResult(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	cache := gitdisc.NewCache()
	o := gitdisc.Options{Cache: cache}
	for _, sub := range []v1.GitSubscription{
		{RepoURL: h.url, Branch: "main", IncludePaths: []string{"apps"}},
		{RepoURL: h.url, CommitSelectionStrategy: "SemVer"},
	} {
		first, err := gitdisc.Discover(ctx, sub, o)
		if err != nil {
			t.Fatal(err)
		}
		fetches := h.srv.Fetches("app")
		again, err := gitdisc.Discover(ctx, sub, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.srv.Fetches("app"); got != fetches {
			t.Errorf("%+v: second discovery fetched (%d fetches, want %d)", sub, got, fetches)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Errorf("%+v: reused result differs (-first +again):\n%s", sub, diff)
		}
	}

	at(t, "2024-07-01T00:00:00Z")
	c6 := h.srv.Commit(t, "app", "main", "web: more", map[string]string{"apps/web/more.html": "x\n"})
	h.srv.Git(t, "app", "tag", "v3.0.0", c6)
	fetches := h.srv.Fetches("app")
	res, err := gitdisc.Discover(ctx, v1.GitSubscription{RepoURL: h.url, Branch: "main", IncludePaths: []string{"apps"}}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Commits) == 0 || res.Commits[0].ID != c6 {
		t.Errorf("after a new commit, newest = %+v, want %s", res.Commits, c6)
	}
	res, err = gitdisc.Discover(ctx, v1.GitSubscription{RepoURL: h.url, CommitSelectionStrategy: "SemVer"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Commits) == 0 || res.Commits[0].Tag != "v3.0.0" {
		t.Errorf("after a new tag, newest = %+v, want v3.0.0", res.Commits)
	}
	if got := h.srv.Fetches("app"); got != fetches+2 {
		t.Errorf("fetches after the repository changed = %d, want %d", got, fetches+2)
	}
}

// TestDiscoverTransports: a subscription to a directory on the host (file:// or a plain
// path) is refused, naming the option that allows it; allowed, it is discovered.
func TestDiscoverTransports(t *testing.T) {
	srv := gittest.NewServer(t)
	srv.Repo(t, "other-project", map[string]string{"a.txt": "a\n"})
	dir := srv.Dir(t, "other-project")
	for _, url := range []string{"file://" + dir, dir} {
		sub := v1.GitSubscription{RepoURL: url, Branch: "main"}
		_, err := gitdisc.Discover(t.Context(), sub, gitdisc.Options{})
		if !errors.Is(err, gitrepo.ErrTransportNotAllowed) || !strings.Contains(err.Error(), "--allow-git-transport file") {
			t.Errorf("Discover(%s) = %v, want ErrTransportNotAllowed naming the option", url, err)
		}
		res, err := gitdisc.Discover(t.Context(), sub, gitdisc.Options{Transports: gitrepo.Transports{gitrepo.TransportFile}})
		if err != nil || len(res.Commits) != 1 || res.Commits[0].ID != srv.Head(t, "other-project", "main") {
			t.Errorf("Discover(%s) with file allowed = %+v, %v; want its one commit", url, res.Commits, err)
		}
	}
}
