package stage

import (
	"slices"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/pipeline"
)

// Trimmable picks, from the names of a Stage's Promotions, those past the newest keep that
// may be deleted: every name the Stage's status st refers to stays, and those it holds as
// current or queued (not finished) do not count towards keep. Names sort oldest first
// (promotion.Name puts a ULID after the Stage).
func Trimmable(names []string, st *v1.StageStatus, keep int) []string {
	running, needed := map[string]bool{}, map[string]bool{}
	if st.CurrentPromotion != nil {
		running[st.CurrentPromotion.Name] = true
	}
	for _, q := range st.Queued {
		running[q.Name] = true
	}
	if st.LastPromotion != nil {
		needed[st.LastPromotion.Name] = true
	}
	for _, h := range pipeline.Current(st.FreightHistory) {
		needed[h.Promotion] = true
	}
	if st.VerifyWhenHealthy != "" {
		needed[st.VerifyWhenHealthy] = true
	}
	for _, h := range st.AutoPromotionHolds {
		needed[h.PromotionName] = true
	}
	names = slices.Sorted(slices.Values(names))
	var out []string
	kept := 0
	for i := len(names) - 1; i >= 0; i-- {
		n := names[i]
		if running[n] {
			continue
		}
		if kept++; kept <= keep || needed[n] {
			continue
		}
		out = append(out, n)
	}
	return out
}
