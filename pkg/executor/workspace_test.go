package executor_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/workspace"
)

// startWithKey runs an executor holding the secrets key on a fresh server, and returns it
// with its secret.Store.
func startWithKey(t *testing.T) (*env, *secret.Store) {
	t.Helper()
	var st *secret.Store
	e := start(t, func(b *bus.Bus, d *executor.Deps) {
		var err error
		if st, err = secret.NewStore(b.Secrets, keyFile(t)); err != nil {
			t.Fatal(err)
		}
		d.Secrets = st
	})
	return e, st
}

// TestWorkspaceEncryptedWithSecretsKey: an executor with the secrets key stores revisions
// that show nothing of the files, which another process with the key reads and one without
// cannot; given a revision in clear, it errors the step for good and says what to do.
func TestWorkspaceEncryptedWithSecretsKey(t *testing.T) {
	e, st := startWithKey(t)
	const content = "token: written-by-a-step\n"
	e.promote(t, "p", "write-file", v1.PhaseRunning, nil, map[string]any{"path": "values.yaml", "content": content})
	if r := e.result(t); r.Status != v1.StepSucceeded || r.Workspace != 1 {
		t.Fatalf("result = %s at workspace %d (%s), want Succeeded at 1", r.Status, r.Workspace, r.Message)
	}
	stored, err := e.b.Workspaces.GetBytes(t.Context(), workspace.ObjectName("p", 1))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("written-by-a-step")) || bytes.Contains(stored, []byte("values.yaml")) {
		t.Errorf("stored revision p/1 shows the file in clear")
	}

	keyed, err := workspace.New(e.b.Workspaces, t.TempDir(), workspace.WithKey(st.WorkspaceKey()))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := keyed.Checkout(t.Context(), "p", 1)
	if err != nil {
		t.Fatalf("Checkout(p, 1) with the workspace key = %v", err)
	}
	got, err := os.ReadFile(filepath.Join(tr.Dir, "values.yaml"))
	tr.Release()
	if err != nil || string(got) != content {
		t.Errorf("values.yaml in p/1 = %q, %v; want %q", got, err, content)
	}
	keyless, err := workspace.New(e.b.Workspaces, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if tr, err := keyless.Checkout(t.Context(), "p", 1); !errors.Is(err, workspace.ErrEncrypted) {
		if err == nil {
			tr.Release()
		}
		t.Errorf("Checkout(p, 1) without the key = %v, want ErrEncrypted", err)
	}

	// Revision 1 of q is stored in clear, as an executor without the key stores it.
	tr, err = keyless.Checkout(t.Context(), "q", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tr.Dir, "a"), []byte("clear"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rev, err := tr.Commit(t.Context()); err != nil || rev != 1 {
		t.Fatalf("Commit() of q = %d, %v; want 1", rev, err)
	}
	tr.Release()
	e.store(t, "q", "write-file", v1.PhaseRunning, nil, nil)
	job := &v1.StepJob{Project: project, Stage: "dev", Promotion: "q", Step: 0, Alias: "step-1", Uses: "write-file", Attempt: 1,
		Workspace: 1, Config: map[string]any{"path": "a", "content": "b"}}
	if err := e.b.Publish(t.Context(), bus.StepSubject(name, project), job.ID(), job); err != nil {
		t.Fatal(err)
	}
	r := e.result(t)
	if r.Status != v1.StepErrored || !r.Terminal || r.Reason != "WorkspaceUnreadable" ||
		!strings.Contains(r.Message, "q/1") || !strings.Contains(r.Message, "--secrets-key-file") {
		t.Errorf("result = %s terminal=%t %s %q; want a terminal Errored WorkspaceUnreadable naming q/1 and --secrets-key-file", r.Status, r.Terminal, r.Reason, r.Message)
	}
}
