package check_test

import (
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/services/state/internal/check"
)

// TestChecks: a good record of each kind passes; a bad one fails naming the field, and
// names nothing longer than Short allows.
func TestChecks(t *testing.T) {
	long := strings.Repeat("x", 5000)
	promo := func(name, ns string) *v1.Promotion {
		return &v1.Promotion{Metadata: v1.ObjectMeta{Name: name, Namespace: ns}, Spec: v1.PromotionSpec{Stage: "dev", Freight: "abc"}}
	}
	tests := []struct {
		name   string
		err    error
		wantIn []string // nil: no error
	}{
		{"subject", ignore(check.SubjectProject("dray.results.demo.step")), nil},
		{"subject with a bad project", ignore(check.SubjectProject("dray.results.Demo!.step")), []string{"subject project"}},
		{"subject of another shape", ignore(check.SubjectProject("dray.results.demo")), []string{"is not dray.results.<project>.<kind>"}},

		{"step result", check.StepResult(&v1.StepResult{Project: "demo", Promotion: "p", Attempt: 1}, "demo"), nil},
		{"step result of another project", check.StepResult(&v1.StepResult{Project: "other", Promotion: "p", Attempt: 1}, "demo"),
			[]string{`project: the record names project "other" but was sent on project demo's subject`}},
		{"step result with attempt 0", check.StepResult(&v1.StepResult{Project: "demo", Promotion: "p"}, "demo"), []string{"attempt 0"}},
		{"step result with bad metadata", check.StepResult(&v1.StepResult{Project: "demo", Promotion: "p", Attempt: 1,
			Metadata: []v1.MetadataUpdate{{Kind: "Warehouse", Name: "w"}}}, "demo"), []string{"metadata[0].kind"}},

		{"create record", check.PromotionRecord(&v1.PromotionRecord{Op: v1.RecordCreate, Project: "demo", Name: "p", Promotion: promo("p", "demo")}, "demo"), nil},
		{"create record without its Promotion", check.PromotionRecord(&v1.PromotionRecord{Op: v1.RecordCreate, Project: "demo", Name: "p"}, "demo"),
			[]string{"promotion: a create record holds the Promotion"}},
		{"create record of another Promotion", check.PromotionRecord(&v1.PromotionRecord{Op: v1.RecordCreate, Project: "demo", Name: "p", Promotion: promo("q", "demo")}, "demo"),
			[]string{"promotion.metadata"}},
		{"finish record", check.PromotionRecord(&v1.PromotionRecord{Op: v1.RecordFinish, Project: "demo", Name: "p", Phase: v1.PhaseFailed}, "demo"), nil},
		{"finish record of a phase that is not final", check.PromotionRecord(&v1.PromotionRecord{Op: v1.RecordFinish, Project: "demo", Name: "p", Phase: v1.PhaseRunning}, "demo"),
			[]string{"phase:", "is not a final phase"}},
		{"promotion record of an unknown op", check.PromotionRecord(&v1.PromotionRecord{Op: long, Project: "demo", Name: "p"}, "demo"),
			[]string{"op:", "(5000 bytes)"}},

		{"stage record", check.StageRecord(&v1.StageRecord{Project: "demo", Stage: "dev"}, "demo"), nil},
		{"stage record with a bad name", check.StageRecord(&v1.StageRecord{Project: "demo", Stage: "Dev!"}, "demo"), []string{"stage"}},

		{"approval", check.FreightRecord(&v1.FreightRecord{Op: v1.FreightApprove, Project: "demo", Freight: "abc", Stage: "dev"}, "demo"), nil},
		{"approval for no Stage", check.FreightRecord(&v1.FreightRecord{Op: v1.FreightApprove, Project: "demo", Freight: "abc"}, "demo"), []string{"stage"}},
		{"rejection for every Stage", check.FreightRecord(&v1.FreightRecord{Op: v1.FreightReject, Project: "demo", Freight: "abc"}, "demo"), nil},
		{"freight record of an unknown op", check.FreightRecord(&v1.FreightRecord{Op: "promote", Project: "demo", Freight: "abc"}, "demo"), []string{`op: "promote" is not`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantIn == nil {
				if tt.err != nil {
					t.Errorf("check = %v, want nil", tt.err)
				}
				return
			}
			if tt.err == nil {
				t.Fatalf("check = nil, want an error saying %q", tt.wantIn)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(tt.err.Error(), w) {
					t.Errorf("check = %q, want it to say %q", tt.err, w)
				}
			}
			if len(tt.err.Error()) > 500 {
				t.Errorf("check error is %d bytes long; a hostile value must be cut short", len(tt.err.Error()))
			}
		})
	}
}

func ignore(_ string, err error) error { return err }
