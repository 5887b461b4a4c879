package stage_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestForget(t *testing.T) {
	// status is a Freight's status naming prod in the maps listed, and dev in all of them.
	status := func(in, verified, approved, rejected bool) v1.FreightStatus {
		fs := v1.FreightStatus{
			CurrentlyIn: map[string]v1.CurrentStage{"dev": {}},
			VerifiedIn:  map[string]v1.VerifiedStage{"dev": {}},
			ApprovedFor: map[string]v1.ApprovedStage{"dev": {}},
			RejectedFor: map[string]v1.FreightRejection{"dev": {}},
		}
		if in {
			fs.CurrentlyIn["prod"] = v1.CurrentStage{}
		}
		if verified {
			fs.VerifiedIn["prod"] = v1.VerifiedStage{}
		}
		if approved {
			fs.ApprovedFor["prod"] = v1.ApprovedStage{}
		}
		if rejected {
			fs.RejectedFor["prod"] = v1.FreightRejection{}
		}
		return fs
	}
	for _, tc := range []struct {
		name   string
		status v1.FreightStatus
		want   bool
	}{
		{"not mentioned", status(false, false, false, false), false},
		{"currently in", status(true, false, false, false), true},
		{"verified in", status(false, true, false, false), true},
		{"approved for", status(false, false, true, false), true},
		{"rejected for", status(false, false, false, true), true},
		{"everywhere", status(true, true, true, true), true},
		{"empty status", v1.FreightStatus{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := tc.status
			if got := stage.Forget(&fs, "prod"); got != tc.want {
				t.Errorf("Forget = %v; want %v", got, tc.want)
			}
			want := status(false, false, false, false)
			if len(tc.status.CurrentlyIn) == 0 {
				want = v1.FreightStatus{}
			}
			if diff := cmp.Diff(want, fs); diff != "" {
				t.Errorf("status after Forget (-want +got):\n%s", diff)
			}
		})
	}
}
