package stage_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

// TestTrimmable: past the newest keep finished Promotions, the oldest go, except those the
// Stage's status still names; running and queued ones neither go nor count.
func TestTrimmable(t *testing.T) {
	names := []string{"s.07", "s.01", "s.02", "s.03", "s.04", "s.05", "s.06"} // oldest is s.01
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "app"}
	tests := []struct {
		name string
		st   v1.StageStatus
		keep int
		want []string
	}{
		{"under the limit", v1.StageStatus{}, 7, nil},
		{"oldest past the limit, newest first", v1.StageStatus{}, 4, []string{"s.03", "s.02", "s.01"}},
		{"keep none", v1.StageStatus{}, 0, []string{"s.07", "s.06", "s.05", "s.04", "s.03", "s.02", "s.01"}},
		{"running and queued neither go nor count", v1.StageStatus{
			CurrentPromotion: &v1.PromotionReference{Name: "s.07"},
			Queued:           []v1.PromotionReference{{Name: "s.06"}, {Name: "s.01"}},
		}, 2, []string{"s.03", "s.02"}},
		{"what the status names stays", v1.StageStatus{
			LastPromotion:      &v1.PromotionReference{Name: "s.02"},
			FreightHistory:     []v1.StageHistoryEntry{{Promotion: "s.03", Origin: origin}, {Promotion: "s.05", Origin: origin}},
			VerifyWhenHealthy:  "s.01",
			AutoPromotionHolds: map[string]v1.AutoPromotionHold{"Warehouse/app": {PromotionName: "s.04"}},
		}, 1, []string{"s.06", "s.05"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stage.Trimmable(names, &tt.st, tt.keep)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Trimmable (-want +got):\n%s", diff)
			}
		})
	}
}
