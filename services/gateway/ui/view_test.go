package ui_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/services/gateway/ui"
)

// TestEmptyStates: a gateway without projects, and a project without Stages, say so and
// what to do, rather than showing an empty table or graph.
func TestEmptyStates(t *testing.T) {
	r, err := ui.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		page string
		body any
		want string
	}{
		{"projects", []ui.ProjectSummary(nil), "No projects yet"},
		{"pipeline", ui.BuildPipeline("demo", nil, nil, nil, nil), "No Stages in this project"},
		{"freight", struct {
			Project, Warehouse string
			Warehouses         []string
			Rows               []ui.FreightRow
			Paging             ui.Paging
		}{Project: "demo"}, "No Freight"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r.Page(w, 200, tt.page, ui.Page{Title: tt.page, User: "token:demo/v", Project: "demo", Body: tt.body})
		if w.Code != 200 || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s page: %d, want %q in\n%s", tt.page, w.Code, tt.want, w.Body)
		}
	}
}

func TestTimelineNewestFirstByWarehouse(t *testing.T) {
	at := func(m int) *time.Time { x := time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC); return &x }
	f := func(name, wh string, m int) v1.Freight {
		return v1.Freight{Metadata: v1.ObjectMeta{Name: name}, Origin: v1.FreightOrigin{Kind: "Warehouse", Name: wh}, DiscoveredAt: at(m)}
	}
	all := []v1.Freight{f("old", "app", 1), f("new", "app", 3), f("other", "db", 2)}
	names := func(rows []ui.FreightRow) (out []string) {
		for _, r := range rows {
			out = append(out, r.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"new", "other", "old"}, names(ui.Timeline(all, ""))); diff != "" {
		t.Errorf("Timeline (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"new", "old"}, names(ui.Timeline(all, "app"))); diff != "" {
		t.Errorf("Timeline of app (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	now := &v1.Freight{Images: []v1.Image{{RepoURL: "r/app", Tag: "1.0"}, {RepoURL: "r/gone", Tag: "2"}}, Commits: []v1.GitCommit{{RepoURL: "g", ID: "abc"}}}
	next := &v1.Freight{Images: []v1.Image{{RepoURL: "r/app", Tag: "1.1"}}, Commits: []v1.GitCommit{{RepoURL: "g", ID: "abc"}}}
	want := []ui.Change{
		{Artifact: "git g", Now: "abc", After: "abc", Same: true},
		{Artifact: "image r/app", Now: "1.0", After: "1.1"},
		{Artifact: "image r/gone", Now: "2"},
	}
	if diff := cmp.Diff(want, ui.Compare(now, next)); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	if got := ui.Compare(nil, next); len(got) != 2 || got[1].Now != "" || got[1].After != "1.1" {
		t.Errorf("Compare with nothing held = %+v", got)
	}
}

// TestPromotionStepsGroupedByTask: steps a PromotionTask expanded come under the task, in
// order, with their outputs and durations.
func TestPromotionStepsGroupedByTask(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(1500 * time.Millisecond)
	p := &v1.Promotion{Status: v1.PromotionStatus{
		StepExecutionMetadata: []v1.StepExecutionMetadata{
			{Alias: "clone", StartedAt: &t0, FinishedAt: &t1},
			{Alias: "pr::open"}, {Alias: "pr::wait"}, {Alias: "done"},
		},
		State: map[string]map[string]any{"clone": {"commit": "abc"}},
	}}
	v := ui.BuildPromotion(p, t1, "")
	var got []string
	for _, g := range v.Groups {
		var steps []string
		for _, s := range g.Steps {
			steps = append(steps, s.Alias)
		}
		got = append(got, g.Task+"="+strings.Join(steps, ","))
	}
	if diff := cmp.Diff([]string{"=clone", "pr=pr::open,pr::wait", "=done"}, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if s := v.Groups[0].Steps[0]; s.Duration != "1.5s" || s.Outputs["commit"] != "abc" {
		t.Errorf("clone step = %+v, want 1.5s and output commit", s)
	}
}

// TestPromotionStepsNotStarted: a running Promotion lists the steps it has not reached, the
// current one Running, from its spec.
func TestPromotionStepsNotStarted(t *testing.T) {
	p := &v1.Promotion{
		Spec:   v1.PromotionSpec{Steps: []v1.PromotionStep{{Uses: "git-clone", As: "clone"}, {Uses: "git-push"}}},
		Status: v1.PromotionStatus{Phase: v1.PhaseRunning, CurrentStep: 0},
	}
	var got []string
	for _, s := range ui.BuildPromotion(p, time.Now(), "").Groups[0].Steps {
		got = append(got, s.Uses+"/"+s.Alias+"/"+s.Status)
	}
	if diff := cmp.Diff([]string{"git-clone/clone/Running", "git-push/step-2/"}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}
