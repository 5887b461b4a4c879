package stage

import (
	"strconv"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Pause pauses st on behalf of by, for reason, at at: its Promotions queue until it resumes.
// The first pause is the one on record; pausing a paused Stage changes nothing.
func Pause(st *v1.StageStatus, by, reason string, at time.Time) bool {
	if st.Paused != nil {
		return false
	}
	st.Paused = &v1.StagePaused{By: by, Reason: reason, At: &at}
	return true
}

// Resume lets st's Promotions start again; false when it was not paused.
func Resume(st *v1.StageStatus) bool {
	changed := st.Paused != nil
	st.Paused = nil
	return changed
}

// Approve records in a Freight's status fs its approval for stage by by, for reason, at at:
// the Freight is then available to the Stage without verification or soak upstream. The
// first approval is kept; false when there was one.
func Approve(fs *v1.FreightStatus, stage, by, reason string, at time.Time) bool {
	if _, ok := fs.ApprovedFor[stage]; ok {
		return false
	}
	if fs.ApprovedFor == nil {
		fs.ApprovedFor = map[string]v1.ApprovedStage{}
	}
	fs.ApprovedFor[stage] = v1.ApprovedStage{ApprovedAt: &at, By: by, Reason: reason}
	return true
}

// Reject records in a Freight's status fs its rejection for stage ("" for every Stage) by by,
// for reason, at at: it is then promoted nowhere it is rejected
// (docs/resources.md#freight-rejection). The first rejection is kept; false when there was
// one.
func Reject(fs *v1.FreightStatus, stage, by, reason string, at time.Time) bool {
	r := v1.FreightRejection{By: by, Reason: reason, At: &at}
	if stage == "" {
		if fs.Rejected != nil {
			return false
		}
		fs.Rejected = &r
		return true
	}
	if _, ok := fs.RejectedFor[stage]; ok {
		return false
	}
	if fs.RejectedFor == nil {
		fs.RejectedFor = map[string]v1.FreightRejection{}
	}
	fs.RejectedFor[stage] = r
	return true
}

// Unreject takes back a Freight's rejection for stage, or, with stage "", its rejection for
// every Stage and every per-Stage one: it may be promoted again. False when there was none.
func Unreject(fs *v1.FreightStatus, stage string) bool {
	if stage != "" {
		_, ok := fs.RejectedFor[stage]
		delete(fs.RejectedFor, stage)
		if len(fs.RejectedFor) == 0 {
			fs.RejectedFor = nil
		}
		return ok
	}
	changed := fs.Rejected != nil || len(fs.RejectedFor) > 0
	fs.Rejected, fs.RejectedFor = nil, nil
	return changed
}

// ApprovalID is the ID of the freight.approved event of approval a: it names the approval
// on record (its time), so a repeated approval re-sends the event while a Freight approved
// anew (recreated since) is announced again.
func ApprovalID(project, freight, stage string, a v1.ApprovedStage) string {
	id := project + "/" + freight + "/approved/" + stage
	if a.ApprovedAt != nil {
		id += "/" + strconv.FormatInt(a.ApprovedAt.UnixNano(), 10)
	}
	return id
}

// SetMetadata sets values in a Stage's or Freight's metadata m (set-metadata), replacing
// keys that exist, and returns it.
func SetMetadata(m map[string]any, values map[string]any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range values {
		m[k] = v
	}
	return m
}
