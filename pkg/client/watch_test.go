package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// TestFollowPromotionWithoutWatchRoute: a gateway older than the watch route answers it with
// its router's plain 404; FollowPromotion then reads the Promotion as WaitPromotion does
// instead of asking for the route until its deadline.
func TestFollowPromotionWithoutWatchRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/projects/p/promotions/x", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v1.Promotion{Metadata: v1.ObjectMeta{Name: "x"}, Status: v1.PromotionStatus{Phase: v1.PhaseSucceeded}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	seen := 0
	p, err := New(srv.URL).FollowPromotion(ctx, "p", "x", func(*v1.Promotion) { seen++ })
	if err != nil || p.Status.Phase != v1.PhaseSucceeded || seen == 0 {
		t.Fatalf("FollowPromotion = %+v, %v (seen %d); want the Succeeded Promotion", p, err, seen)
	}
}
