package gitpush_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/gittest"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps/gitclone"
	"github.com/drayhq/dray/pkg/steps/gitcommit"
	"github.com/drayhq/dray/pkg/steps/gitpush"
)

// TestCredentialsFromSecretStore: against a server that wants basic auth, git-clone and
// git-push use the project's git credentials from the secret store; without them they fail,
// and no error shows the password.
func TestCredentialsFromSecretStore(t *testing.T) {
	srv := gittest.NewServer(t)
	url := newRepo(t, srv, map[string]string{"values.yaml": "tag: v1\n"})
	const password = "ghp_s3cr3t-token"
	srv.RequireBasicAuth("dray-bot", password)

	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := secret.NewStore(bustest.Start(t).Connect(t).Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	cred := &v1.Secret{StringData: map[string]string{"repoURL": url, "username": "dray-bot", "password": password}}
	cred.Metadata = v1.ObjectMeta{Name: "deploy-repo", Namespace: "p", Labels: map[string]string{v1.LabelCredType: secret.TypeGit}}
	if _, err := store.Put(t.Context(), cred); err != nil {
		t.Fatal(err)
	}
	checkout := map[string]any{"repoURL": url, "checkout": []any{map[string]any{"branch": "main", "path": "./src"}}}

	// Anonymous: refused, and the error does not echo a secret.
	_, err = run(t, gitclone.New(), t.TempDir(), checkout)
	if err == nil {
		t.Fatal("git-clone without credentials succeeded against a server that wants them")
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error shows the password: %v", err)
	}

	work := t.TempDir()
	mustRun(t, gitclone.New(gitclone.WithCredentials(store)), work, checkout)
	if err := os.WriteFile(filepath.Join(work, "src", "values.yaml"), []byte("tag: v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, gitcommit.New(), work, map[string]any{"path": "./src", "message": "v2"})
	out := mustRun(t, gitpush.New(gitpush.WithCredentials(store)), work, map[string]any{"path": "./src"})
	srv.RequireBasicAuth("", "")
	if got := srv.ReadFile(t, "deploy", "main", "values.yaml"); got != "tag: v2\n" {
		t.Errorf("after git-push with credentials, values.yaml = %q (outputs %v)", got, out)
	}
	// The clone's remote URL in .git/config holds no credentials.
	cfg, err := os.ReadFile(filepath.Join(work, "src", ".git", "config"))
	if err != nil || strings.Contains(string(cfg), password) {
		t.Errorf(".git/config holds the password (%v)", err)
	}
}
