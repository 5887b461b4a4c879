package promotion_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oklog/ulid/v2"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/promotion"
)

func stage(steps ...v1.PromotionStep) *v1.Stage {
	return &v1.Stage{
		Metadata: v1.ObjectMeta{Name: "dev", Namespace: "demo"},
		Spec: v1.StageSpec{
			Vars:              []v1.ExpressionVariable{{Name: "repo", Value: "https://git.example.com/cfg.git"}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Vars: []v1.ExpressionVariable{{Name: "branch", Value: "main"}}, Steps: steps}},
		},
	}
}

var freight = &v1.Freight{
	Metadata: v1.ObjectMeta{Name: "f9a2c3d4e5f60718293a4b5c6d7e8f9012345678", Namespace: "demo"},
	Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "wh"},
	Commits:  []v1.GitCommit{{RepoURL: "https://git.example.com/app.git", ID: "abc"}},
}

func TestNew(t *testing.T) {
	now := time.Date(2025, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	utc := now.UTC()
	st := stage(
		v1.PromotionStep{Uses: "git-clone", Config: map[string]any{"repoURL": "${{ vars.repo }}"}},
		v1.PromotionStep{Uses: "yaml-update", As: "  update  "},
		v1.PromotionStep{Uses: "git-push", Retry: &v1.PromotionStepRetry{ErrorThreshold: 3}},
	)
	got, err := promotion.New(promotion.Request{
		Project: "demo", Stage: st, Freight: freight, Name: "dev.01jnkz.f9a2c3d", Actor: "email:alice@example.com", Now: now,
	})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	want := &v1.Promotion{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotion},
		Metadata: v1.ObjectMeta{
			Name: "dev.01jnkz.f9a2c3d", Namespace: "demo", CreationTimestamp: &utc,
			Annotations: map[string]string{v1.AnnotationCreateActor: "email:alice@example.com"},
		},
		Spec: v1.PromotionSpec{
			Stage: "dev", Freight: freight.Metadata.Name,
			Vars: []v1.ExpressionVariable{{Name: "repo", Value: "https://git.example.com/cfg.git"}, {Name: "branch", Value: "main"}},
			Steps: []v1.PromotionStep{
				{Uses: "git-clone", As: "step-1", Config: map[string]any{"repoURL": "${{ vars.repo }}"}},
				{Uses: "yaml-update", As: "update"},
				{Uses: "git-push", As: "step-3", Retry: &v1.PromotionStepRetry{ErrorThreshold: 3}},
			},
		},
		Status: v1.PromotionStatus{Phase: v1.PhasePending, Freight: freight},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("New() (-want +got):\n%s", diff)
	}
	if got.Metadata.CreationTimestamp.Location() != time.UTC {
		t.Errorf("New(): CreationTimestamp = %v, want UTC", got.Metadata.CreationTimestamp)
	}
	if got := promotion.Actor(got); got != "alice@example.com" {
		t.Errorf("Actor(New()) = %q, want %q", got, "alice@example.com")
	}

	// The steps are a copy: giving aliases, or changing the Promotion later, leaves the Stage
	// as it was.
	got.Spec.Steps[0].Uses = "changed"
	if st.Spec.PromotionTemplate.Spec.Steps[0].As != "" || st.Spec.PromotionTemplate.Spec.Steps[0].Uses != "git-clone" {
		t.Errorf("New() shares steps with the Stage: stage step 0 = %+v", st.Spec.PromotionTemplate.Spec.Steps[0])
	}
	if st.Spec.PromotionTemplate.Spec.Steps[1].As != "  update  " {
		t.Errorf("New() changed the Stage's alias to %q", st.Spec.PromotionTemplate.Spec.Steps[1].As)
	}
	if len(st.Spec.Vars) != 1 {
		t.Errorf("New() changed the Stage's vars to %v", st.Spec.Vars)
	}
}

func TestNewWithoutActor(t *testing.T) {
	p, err := promotion.New(promotion.Request{Project: "demo", Stage: stage(v1.PromotionStep{Uses: "http"}), Freight: freight, Name: "x", Now: t0})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if p.Metadata.Annotations != nil {
		t.Errorf("New() without actor: Annotations = %v, want nil", p.Metadata.Annotations)
	}
	if got := promotion.Actor(p); got != "" {
		t.Errorf("Actor() = %q, want empty", got)
	}
}

func TestNewRejects(t *testing.T) {
	noTemplate := stage()
	noTemplate.Spec.PromotionTemplate = nil
	tests := []struct {
		name           string
		stage          *v1.Stage
		wantNotPromote bool
		wantIn         []string
	}{
		{name: "no template", stage: noTemplate, wantNotPromote: true, wantIn: []string{`stage "dev"`}},
		{name: "no steps", stage: stage(), wantNotPromote: true, wantIn: []string{`stage "dev"`}},
		{
			name:   "task step",
			stage:  stage(v1.PromotionStep{Uses: "git-clone"}, v1.PromotionStep{Task: &v1.PromotionTaskReference{Name: "deploy"}}),
			wantIn: []string{`stage "dev"`, "spec.promotionTemplate.spec.steps[1]", `PromotionTask "deploy"`},
		},
		{
			name:   "cluster task step",
			stage:  stage(v1.PromotionStep{Task: &v1.PromotionTaskReference{Name: "shared", Kind: v1.KindClusterPromotionTask}}),
			wantIn: []string{"spec.promotionTemplate.spec.steps[0]", `ClusterPromotionTask "shared"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := promotion.New(promotion.Request{Project: "demo", Stage: tt.stage, Freight: freight, Name: "x", Now: t0})
			if err == nil {
				t.Fatalf("New() = %+v, want an error", p)
			}
			if got := errors.Is(err, promotion.ErrNotPromotable); got != tt.wantNotPromote {
				t.Errorf("New() = %v; errors.Is(err, ErrNotPromotable) = %v, want %v", err, got, tt.wantNotPromote)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("New() = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestAlias(t *testing.T) {
	tests := []struct {
		as   string
		i    int
		want string
	}{
		{"", 0, "step-1"},
		{"   ", 4, "step-5"},
		{"clone", 0, "clone"},
		{" push\t", 2, "push"},
	}
	for _, tt := range tests {
		if got := promotion.Alias(tt.as, tt.i); got != tt.want {
			t.Errorf("Alias(%q, %d) = %q, want %q", tt.as, tt.i, got, tt.want)
		}
	}
}

func TestActor(t *testing.T) {
	tests := []struct {
		annotation string
		want       string
	}{
		{"", ""},
		{"email:alice@example.com", "alice@example.com"},
		{"sub:1234:5678", "1234:5678"},
		{"kubernetes:system:serviceaccount:kargo:api", "system:serviceaccount:kargo:api"},
		{"bob", "bob"},
	}
	for _, tt := range tests {
		p := &v1.Promotion{Metadata: v1.ObjectMeta{Annotations: map[string]string{v1.AnnotationCreateActor: tt.annotation}}}
		if got := promotion.Actor(p); got != tt.want {
			t.Errorf("Actor(%q) = %q, want %q", tt.annotation, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	const fr = "F9a2c3d4e5f60718293a4b5c6d7e8f9012345678"
	name := promotion.Name("Dev", fr, "req-1", at)

	format := regexp.MustCompile(`^dev\.[0-9a-hjkmnp-tv-z]{26}\.f9a2c3d$`)
	if !format.MatchString(name) {
		t.Fatalf("Name(Dev, %s, req-1) = %q, want it to match %s", fr, name, format)
	}
	id, err := ulid.ParseStrict(strings.ToUpper(strings.Split(name, ".")[1]))
	if err != nil {
		t.Fatalf("ulid.ParseStrict(%q) = %v", name, err)
	}
	if got, want := id.Time(), ulid.Timestamp(at); got != want {
		t.Errorf("Name(…, %v): ULID time = %d, want %d", at, got, want)
	}

	tests := []struct {
		name     string
		stage    string
		freight  string
		key      string
		at       time.Time
		wantSame bool
	}{
		{name: "same request", stage: "Dev", freight: fr, key: "req-1", at: at, wantSame: true},
		{name: "other key", stage: "Dev", freight: fr, key: "req-2", at: at},
		{name: "other freight", stage: "Dev", freight: "f9a2c3d000000000000000000000000000000000", key: "req-1", at: at},
		{name: "other stage", stage: "prod", freight: fr, key: "req-1", at: at},
		{name: "other time", stage: "Dev", freight: fr, key: "req-1", at: at.Add(time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := promotion.Name(tt.stage, tt.freight, tt.key, tt.at)
			if same := got == name; same != tt.wantSame {
				t.Errorf("Name(%s, %s, %s, %v) = %q, first name %q; same = %v, want %v", tt.stage, tt.freight, tt.key, tt.at, got, name, same, tt.wantSame)
			}
		})
	}

	if got := promotion.Name("dev", "abc", "k", at); !strings.HasSuffix(got, ".abc") {
		t.Errorf("Name(dev, abc, k) = %q, want the whole short freight name at the end", got)
	}
	if a, b := promotion.Name("dev", fr, "k", at), promotion.Name("dev", fr, "k", at.Add(time.Second)); a >= b {
		t.Errorf("Name at %v = %q, a second later = %q; want later names to sort after", at, a, b)
	}
}

// TestNameOfALongStage: the name of a Promotion of a Stage with the longest name a Stage may
// have is still a valid name (Kargo shortens the Stage's part too).
func TestNameOfALongStage(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, stage := range []string{
		strings.Repeat("a", 253),
		strings.Repeat("a", 217) + "-b" + strings.Repeat("c", 30), // cut right after '-'
		strings.Repeat("ab.", 84) + "c",                           // dotted, cut after '.'
	} {
		if err := names.Object(stage); err != nil {
			t.Fatalf("test Stage name invalid: %v", err)
		}
		name := promotion.Name(stage, "0123456789abcdef", "k", at)
		if err := names.Object(name); err != nil {
			t.Errorf("Name(%.20q…) = %.40q…: %v", stage, name, err)
		}
	}
}
