package ui_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/services/gateway/ui"
)

// TestFreightHistory: a Freight's history comes from the Stages' freightHistory (which
// Stage, when, through which Promotion and by whom, whether it still holds it, whether a
// rollback brought it) and from its status (verified, approved, rejected), newest first.
func TestFreightHistory(t *testing.T) {
	at := func(m int) *time.Time { x := time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC); return &x }
	app := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	f := &v1.Freight{Metadata: v1.ObjectMeta{Name: "f1"}, Status: v1.FreightStatus{
		VerifiedIn:  map[string]v1.VerifiedStage{"dev": {VerifiedAt: at(2), LongestSoak: "1h"}},
		ApprovedFor: map[string]v1.ApprovedStage{"prod": {ApprovedAt: at(3), By: "email:rita@example.com"}},
		RejectedFor: map[string]v1.FreightRejection{"staging": {By: "email:sam@example.com", Reason: "CVE", At: at(6)}},
	}}
	stages := []v1.Stage{
		{Metadata: v1.ObjectMeta{Name: "dev"}, Status: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{
			{Freight: "f2", Origin: app, Promotion: "dev.3", Since: at(5)},
			{Freight: "f1", Origin: app, Promotion: "dev.2", Actor: "token:shop/alice", Since: at(1)},
		}}},
		{Metadata: v1.ObjectMeta{Name: "prod"}, Status: v1.StageStatus{FreightHistory: []v1.StageHistoryEntry{
			{Freight: "f1", Origin: app, Promotion: "prod.9", Actor: v1.ActorAutoRollback, Since: at(4), Rollback: true},
		}}},
	}
	got := ui.FreightHistory(f, stages)
	want := []ui.HistoryEntry{
		{At: at(6), What: "rejected", Stage: "staging", By: "email:sam@example.com", Detail: "CVE"},
		{At: at(4), What: "received", Stage: "prod", Promotion: "prod.9", By: v1.ActorAutoRollback, Rollback: true, Current: true},
		{At: at(3), What: "approved", Stage: "prod", By: "email:rita@example.com"},
		{At: at(2), What: "verified", Stage: "dev", Detail: "soaked 1h"},
		{At: at(1), What: "received", Stage: "dev", Promotion: "dev.2", By: "token:shop/alice"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FreightHistory (-want +got):\n%s", diff)
	}
}

// TestCompareFreight: two Freight are compared per repository, with image digests and
// commit messages, and a repository only one has shows on its own.
func TestCompareFreight(t *testing.T) {
	a := &v1.Freight{
		Images:  []v1.Image{{RepoURL: "ghcr.io/x/app", Tag: "1.0", Digest: "sha256:aaaaaaaaaaaaaaaa"}},
		Commits: []v1.GitCommit{{RepoURL: "https://github.com/x/cfg", ID: "1111111111111111", Message: "bump\n\nbody"}},
		Charts:  []v1.Chart{{RepoURL: "oci://ghcr.io/x/charts", Name: "web", Version: "2.0.0"}},
	}
	b := &v1.Freight{
		Images:    []v1.Image{{RepoURL: "ghcr.io/x/app", Tag: "1.1", Digest: "sha256:bbbbbbbbbbbbbbbb"}},
		Commits:   []v1.GitCommit{{RepoURL: "https://github.com/x/cfg", ID: "2222222222222222", Message: "fix probe"}},
		Charts:    []v1.Chart{{RepoURL: "oci://ghcr.io/x/charts", Name: "web", Version: "2.0.0"}},
		Artifacts: []v1.GenericArtifact{{ArtifactType: "s3", SubscriptionName: "bundle", Version: "7"}},
	}
	want := []ui.ArtifactDiff{
		{Kind: "git", Repo: "https://github.com/x/cfg", A: "111111111111", AMessage: "bump", B: "222222222222", BMessage: "fix probe", Changed: true},
		{Kind: "image", Repo: "ghcr.io/x/app", A: "1.0 aaaaaaaaaaaa", B: "1.1 bbbbbbbbbbbb", Changed: true},
		{Kind: "chart", Repo: "oci://ghcr.io/x/charts/web", A: "2.0.0", B: "2.0.0"},
		{Kind: "s3", Repo: "bundle", B: "7", Changed: true},
	}
	if diff := cmp.Diff(want, ui.CompareFreight(a, b)); diff != "" {
		t.Errorf("CompareFreight (-want +got):\n%s", diff)
	}
}

// TestStepLinks: git-push's commit is linked from its commitURL, else from the repository
// git-clone cloned when the host is GitHub- or GitLab-like, else shown as a SHA; git-open-pr
// links its pull request; argocd-update links its Applications into Argo CD's UI when its
// address is known, else names them. A URL that is not http(s) is never a link.
func TestStepLinks(t *testing.T) {
	clone := func(repo string) v1.StepExecutionMetadata {
		return v1.StepExecutionMetadata{Uses: "git-clone", Config: map[string]any{"repoURL": repo,
			"checkout": []any{map[string]any{"branch": "main", "path": "./out"}}}}
	}
	push := v1.StepExecutionMetadata{Uses: "git-push", Config: map[string]any{"path": "./out"}}
	sha := "0123456789abcdef0123"
	tests := []struct {
		name    string
		m       v1.StepExecutionMetadata
		outputs map[string]any
		steps   []v1.StepExecutionMetadata
		argoCD  string
		want    []ui.Link
	}{
		{"commitURL output", push, map[string]any{"commit": sha, "commitURL": "https://example.org/c/1"}, nil, "",
			[]ui.Link{{Kind: "commit", Text: "0123456789ab", URL: "https://example.org/c/1"}}},
		{"github clone", push, map[string]any{"commit": sha}, []v1.StepExecutionMetadata{clone("https://github.com/acme/cfg.git")}, "",
			[]ui.Link{{Kind: "commit", Text: "0123456789ab", URL: "https://github.com/acme/cfg/commit/" + sha}}},
		{"gitlab clone", push, map[string]any{"commit": sha}, []v1.StepExecutionMetadata{clone("https://gitlab.example.com/g/sub/cfg")}, "",
			[]ui.Link{{Kind: "commit", Text: "0123456789ab", URL: "https://gitlab.example.com/g/sub/cfg/-/commit/" + sha}}},
		{"unknown host: the SHA", push, map[string]any{"commit": sha}, []v1.StepExecutionMetadata{clone("https://git.internal/cfg.git")}, "",
			[]ui.Link{{Kind: "commit", Text: "0123456789ab"}}},
		{"not http: no link", push, map[string]any{"commit": sha, "commitURL": "javascript:alert(1)"}, nil, "",
			[]ui.Link{{Kind: "commit", Text: "0123456789ab"}}},
		{"pull request", v1.StepExecutionMetadata{Uses: "git-open-pr"}, map[string]any{"pr": map[string]any{"id": float64(42), "url": "https://github.com/acme/cfg/pull/42"}}, nil, "",
			[]ui.Link{{Kind: "pull request", Text: "#42", URL: "https://github.com/acme/cfg/pull/42"}}},
		{"argo cd with its UI", v1.StepExecutionMetadata{Uses: "argocd-update"}, map[string]any{"apps": []any{map[string]any{"name": "web", "namespace": "argocd"}}}, nil, "https://cd.example.com/",
			[]ui.Link{{Kind: "Argo CD Application", Text: "argocd/web", URL: "https://cd.example.com/applications/argocd/web"}}},
		{"argo cd without", v1.StepExecutionMetadata{Uses: "argocd-update"}, map[string]any{"apps": []any{map[string]any{"name": "web"}}}, nil, "",
			[]ui.Link{{Kind: "Argo CD Application", Text: "web"}}},
		{"other steps: none", v1.StepExecutionMetadata{Uses: "yaml-update"}, map[string]any{"commit": sha}, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ui.StepLinks(tt.m, tt.outputs, tt.steps, tt.argoCD)); diff != "" {
				t.Errorf("StepLinks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPageOf: pages of 50, the first the newest; a page out of range is the nearest one.
func TestPageOf(t *testing.T) {
	rows := make([]int, 120)
	for i := range rows {
		rows[i] = i
	}
	got, p := ui.PageOf(rows, 2, 50)
	if len(got) != 50 || got[0] != 50 || p != (ui.Paging{Page: 2, Pages: 3, Total: 120, From: 51, To: 100}) || p.Prev() != 1 || p.Next() != 3 {
		t.Errorf("page 2: %d rows from %d, %+v", len(got), got[0], p)
	}
	if got, p := ui.PageOf(rows, 9, 50); len(got) != 20 || p.Page != 3 || p.Next() != 0 {
		t.Errorf("page 9 of 3: %d rows, %+v", len(got), p)
	}
	if got, p := ui.PageOf([]int(nil), 0, 50); len(got) != 0 || p.Pages != 1 || p.Prev() != 0 {
		t.Errorf("no rows: %+v", p)
	}
}

// TestCollapse: collapsing a Stage hides every Stage downstream of it from the layout (the
// graph shrinks), its toggle says how many and expands them again; the compact view draws
// smaller nodes; expanding is the link without the Stage.
func TestCollapse(t *testing.T) {
	whs := []v1.Warehouse{{Metadata: v1.ObjectMeta{Name: "app"}}}
	stages := []v1.Stage{stage("dev", "", "app")}
	for i := range 50 {
		stages = append(stages, stage(fmt.Sprintf("qa-%02d", i), "dev", ""))
	}
	stages = append(stages, stage("prod", "qa-00", ""))
	full := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.View{})
	if len(full.Stages) != 52 || full.Stages[0].Toggle == nil || full.Stages[0].Toggle.Below != 51 || full.Stages[0].Toggle.Collapsed {
		t.Fatalf("full graph: %d Stages, dev's toggle %+v", len(full.Stages), full.Stages[0].Toggle)
	}
	folded := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.ParseView("", "dev"))
	if len(folded.Stages) != 1 || folded.Hidden != 51 || folded.Height >= full.Height || len(folded.Edges) != 1 {
		t.Fatalf("dev collapsed: %d Stages, %d hidden, height %d (full %d), %d edges", len(folded.Stages), folded.Hidden, folded.Height, full.Height, len(folded.Edges))
	}
	if tg := folded.Stages[0].Toggle; tg == nil || !tg.Collapsed || tg.Href != "/projects/shop" {
		t.Errorf("dev's toggle when collapsed: %+v, want Collapsed linking to the full graph", tg)
	}
	one := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.ParseView("1", "qa-00"))
	if len(one.Stages) != 51 || one.Hidden != 1 || !one.Stages[1].Compact {
		t.Errorf("qa-00 collapsed, compact: %d Stages, %d hidden", len(one.Stages), one.Hidden)
	}
	if full.Stages[0].Toggle.Href != "/projects/shop?collapse=dev" || one.View.CompactQuery() != "?collapse=qa-00" ||
		one.View.Query("dev") != "?compact=1&collapse=dev%2Cqa-00" {
		t.Errorf("links: %q %q %q", full.Stages[0].Toggle.Href, one.View.CompactQuery(), one.View.Query("dev"))
	}
	if compact := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.View{Compact: true}); compact.Height*2 >= full.Height {
		t.Errorf("compact height %d, full %d: names only should take far less room", compact.Height, full.Height)
	}
}

func stage(name, upstream, warehouse string) v1.Stage {
	s := v1.Stage{Metadata: v1.ObjectMeta{Name: name}}
	req := v1.FreightRequest{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}}
	if warehouse != "" {
		req.Sources.Direct = true
	} else {
		req.Sources.Stages = []string{upstream}
	}
	s.Spec.RequestedFreight = []v1.FreightRequest{req}
	return s
}

// TestIssue17Marks: a card shows its closed promotion window with the reason and when it
// opens, and a rollback; a Promotion's page marks a rollback and links what its steps made;
// Superseded has its own badge.
func TestIssue17Marks(t *testing.T) {
	r, err := ui.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	next := time.Now().Add(150*time.Minute + 20*time.Second)
	s := v1.Stage{Metadata: v1.ObjectMeta{Name: "prod"}, Status: v1.StageStatus{
		PromotionWindow: &v1.PromotionWindowStatus{Closed: true, Reason: "deny window freeze is active", NextOpen: &next},
		FreightHistory:  []v1.StageHistoryEntry{{Freight: "f1", Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Rollback: true}},
		LastPromotion:   &v1.PromotionReference{Name: "prod.2", Phase: v1.PhaseSuperseded},
	}}
	w := httptest.NewRecorder()
	r.Fragment(w, 200, "card", ui.Card("shop", &s, nil, nil))
	for _, want := range []string{"Window closed · opens in 2h30m", "deny window freeze is active", "rolled back", `class="badge superseded"`, "window-closed"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("card lacks %q:\n%s", want, w.Body)
		}
	}
	p := &v1.Promotion{Metadata: v1.ObjectMeta{Name: "prod.3", Namespace: "shop", Annotations: map[string]string{v1.AnnotationRollback: "true"}},
		Spec: v1.PromotionSpec{Stage: "prod", Freight: "f1"},
		Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded,
			StepExecutionMetadata: []v1.StepExecutionMetadata{{Alias: "pr", Uses: "git-open-pr", Status: v1.StepSucceeded}},
			State:                 map[string]map[string]any{"pr": {"pr": map[string]any{"id": float64(7), "url": "https://github.com/a/b/pull/7"}}}}}
	w = httptest.NewRecorder()
	r.Page(w, 200, "promotion", ui.Page{Title: "p", User: "u", Project: "shop", Body: ui.BuildPromotion(p, time.Now(), "")})
	for _, want := range []string{`<span class="badge rollback"`, "returns prod to Freight it held before", `pull request: <a href="https://github.com/a/b/pull/7" rel="noopener noreferrer" target="_blank">#7</a>`,
		`<code>{&#34;id&#34;:7,&#34;url&#34;:&#34;https://github.com/a/b/pull/7&#34;}</code>`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("promotion page lacks %q:\n%s", want, w.Body)
		}
	}
}

// TestCollapseLayer: collapsing a layer draws its Stages as one node that counts them, which
// their edges meet; Find a Stage's Reveal expands the layer or the subtrees hiding a Stage.
func TestCollapseLayer(t *testing.T) {
	whs := []v1.Warehouse{{Metadata: v1.ObjectMeta{Name: "app"}}}
	stages := []v1.Stage{stage("dev", "", "app")}
	for i := range 50 {
		stages = append(stages, stage(fmt.Sprintf("qa-%02d", i), "dev", ""))
	}
	stages = append(stages, stage("prod", "qa-00", ""), stage("prod-eu", "qa-01", ""))
	stages[3].Status.CurrentPromotion = &v1.PromotionReference{Name: "qa-02.x"}
	full := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.View{})
	if len(full.Layers) != 3 || full.Layers[1].Layer != 2 || full.Layers[1].Stages != 50 || full.Layers[1].Collapsed ||
		full.Layers[1].Href != "/projects/shop?layers=2" {
		t.Fatalf("layers of the full graph: %+v", full.Layers)
	}
	folded := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.View{Layers: ui.ParseLayers("2,x")})
	if len(folded.Stages) != 3 || folded.Hidden != 50 || len(folded.Collapsed) != 1 || folded.Height >= full.Height {
		t.Fatalf("layer 2 collapsed: %d Stages drawn, %d hidden, %d layer nodes, height %d (full %d)",
			len(folded.Stages), folded.Hidden, len(folded.Collapsed), folded.Height, full.Height)
	}
	if n := folded.Collapsed[0]; n.Stages != 50 || n.Running != 1 || len(n.Names) != 50 || n.Href != "/projects/shop" || !folded.Layers[1].Collapsed {
		t.Errorf("layer 2's node: %+v", n)
	}
	var edges []string
	for _, e := range folded.Edges {
		edges = append(edges, e.From+">"+e.To)
	}
	if want := "app>dev dev>layer-2 layer-2>prod layer-2>prod-eu"; strings.Join(edges, " ") != want {
		t.Errorf("edges with layer 2 collapsed: %v, want %s", edges, want)
	}
	if v, hidden := folded.Reveal("qa-17"); !hidden || len(v.Layers) != 0 {
		t.Errorf("reveal qa-17 in collapsed layer 2: %+v %v, want layer 2 expanded", v, hidden)
	}
	if _, hidden := folded.Reveal("dev"); hidden {
		t.Error("dev is drawn, yet Reveal says it is hidden")
	}
	both := ui.BuildPipelineView("shop", whs, stages, nil, nil, ui.View{Compact: true, Collapse: []string{"dev", "qa-01"}, Layers: []int{3}})
	v, hidden := both.Reveal("prod-eu")
	if !hidden || len(v.Collapse) != 0 || !v.Compact || v.Layers[0] != 3 {
		t.Errorf("reveal prod-eu under dev and qa-01 collapsed: %+v %v, want both expanded, layer 3 kept", v, hidden)
	}
	if q := v.FindQuery("prod-eu"); q != "?compact=1&layers=3&find=prod-eu" {
		t.Errorf("find query %q", q)
	}
	r, err := ui.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []ui.Pipeline{folded, both} {
		w := httptest.NewRecorder()
		r.Page(w, 200, "pipeline", ui.Page{Title: "shop", User: "token:shop/v", Project: "shop", Body: p})
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, `class="layer-toggle"`) || !strings.Contains(body, `<li data-name="qa-`) {
			t.Errorf("pipeline page with collapsed layers: %d\n%s", w.Code, body)
		}
	}
}
