package stage_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/stage"
)

func TestPauseAndResume(t *testing.T) {
	st := v1.StageStatus{}
	if stage.Resume(&st) {
		t.Error("Resume() of a running Stage reported a change")
	}
	if !stage.Pause(&st, "ana", "release freeze", now) {
		t.Fatal("Pause() = false")
	}
	if stage.Pause(&st, "bo", "another reason", now.Add(time.Hour)) {
		t.Error("Pause() of a paused Stage reported a change")
	}
	if diff := cmp.Diff(&v1.StagePaused{By: "ana", Reason: "release freeze", At: at(0)}, st.Paused); diff != "" {
		t.Errorf("the first pause is the one on record (-want +got):\n%s", diff)
	}
	if !stage.Resume(&st) || st.Paused != nil {
		t.Errorf("Resume() left %+v", st.Paused)
	}
}

func TestApprove(t *testing.T) {
	fs := v1.FreightStatus{}
	if !stage.Approve(&fs, "prod", "ana", "hotfix", now) {
		t.Fatal("Approve() = false")
	}
	if stage.Approve(&fs, "prod", "bo", "again", now.Add(time.Hour)) {
		t.Error("a repeated approval reported a change")
	}
	if !stage.Approve(&fs, "uat", "bo", "", now) {
		t.Error("an approval for another Stage changed nothing")
	}
	want := map[string]v1.ApprovedStage{"prod": {ApprovedAt: at(0), By: "ana", Reason: "hotfix"}, "uat": {ApprovedAt: at(0), By: "bo"}}
	if diff := cmp.Diff(want, fs.ApprovedFor); diff != "" {
		t.Errorf("approvals (-want +got):\n%s", diff)
	}
	if got, want := stage.ApprovalID("demo", "f1", "prod", fs.ApprovedFor["prod"]), "demo/f1/approved/prod/1795435200000000000"; got != want {
		t.Errorf("ApprovalID() = %q, want %q", got, want)
	}
	if got, want := stage.ApprovalID("demo", "f1", "prod", v1.ApprovedStage{}), "demo/f1/approved/prod"; got != want {
		t.Errorf("ApprovalID() without a time = %q, want %q", got, want)
	}
}

func TestSetMetadata(t *testing.T) {
	got := stage.SetMetadata(nil, map[string]any{"a": 1.0})
	got = stage.SetMetadata(got, map[string]any{"a": 2.0, "b": "x"})
	if diff := cmp.Diff(map[string]any{"a": 2.0, "b": "x"}, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func TestRejectAndUnreject(t *testing.T) {
	var fs v1.FreightStatus
	if !stage.Reject(&fs, "prod", "ana", "CVE", now) || stage.Reject(&fs, "prod", "bob", "again", now.Add(time.Minute)) {
		t.Fatal("Reject(prod) twice: want true, then false (the first rejection is kept)")
	}
	if !stage.Reject(&fs, "", "bob", "broken build", now) || !stage.Reject(&fs, "uat", "ana", "", now) {
		t.Fatal("Reject for every Stage and for uat = false")
	}
	want := v1.FreightStatus{Rejected: &v1.FreightRejection{By: "bob", Reason: "broken build", At: at(0)},
		RejectedFor: map[string]v1.FreightRejection{"prod": {By: "ana", Reason: "CVE", At: at(0)}, "uat": {By: "ana", At: at(0)}}}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if !stage.Unreject(&fs, "prod") || stage.Unreject(&fs, "prod") {
		t.Error("Unreject(prod) twice: want true, then false")
	}
	if !stage.Unreject(&fs, "") || fs.Rejected != nil || fs.RejectedFor != nil {
		t.Errorf("Unreject for every Stage left %+v, want no rejection at all", fs)
	}
	if stage.Unreject(&fs, "") {
		t.Error("Unreject of a Freight not rejected = true")
	}
}
