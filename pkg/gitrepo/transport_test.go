package gitrepo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/gittest"
)

func TestTransportOf(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://github.com/acme/deploy.git", gitrepo.TransportHTTPS},
		{"http://127.0.0.1:8080/git/deploy.git", gitrepo.TransportHTTP},
		{"ssh://git@github.com/acme/deploy.git", gitrepo.TransportSSH},
		{"git@github.com:acme/deploy.git", gitrepo.TransportSSH},
		{"git://example.com/deploy.git", gitrepo.TransportGit},
		{"file:///var/lib/dray/secrets", gitrepo.TransportFile},
		{"/var/lib/dray/secrets", gitrepo.TransportFile},
		{"../other-project", gitrepo.TransportFile},
	}
	for _, tt := range tests {
		if got, err := gitrepo.TransportOf(tt.url); err != nil || got != tt.want {
			t.Errorf("TransportOf(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
}

func TestTransportsCheck(t *testing.T) {
	var none gitrepo.Transports
	for _, url := range []string{"https://h/r.git", "http://h/r.git", "ssh://git@h/r.git", "git@h:r.git"} {
		if err := none.Check(url); err != nil {
			t.Errorf("Check(%q) = %v, want nil", url, err)
		}
	}
	for _, url := range []string{"file:///etc", "/etc", "./x", "git://h/r.git"} {
		err := none.Check(url)
		if !errors.Is(err, gitrepo.ErrTransportNotAllowed) || !strings.Contains(err.Error(), "--allow-git-transport") {
			t.Errorf("Check(%q) = %v, want ErrTransportNotAllowed naming the option", url, err)
		}
	}
	if err := (gitrepo.Transports{gitrepo.TransportFile}).Check("/etc"); err != nil {
		t.Errorf("Check with file allowed = %v", err)
	}
	if _, err := gitrepo.ParseTransports("file,ftp"); err == nil || !strings.Contains(err.Error(), `"ftp"`) {
		t.Errorf(`ParseTransports("file,ftp") = %v, want an error naming ftp`, err)
	}
	if got, err := gitrepo.ParseTransports("file git https"); err != nil || len(got) != 2 {
		t.Errorf(`ParseTransports("file git https") = %v, %v; want [file git]`, got, err)
	}
}

// TestCloneSubmoduleTransport: a repository on a Git server whose .gitmodules points at a
// directory on the host does not get it cloned; allowed, it does.
func TestCloneSubmoduleTransport(t *testing.T) {
	srv := gittest.NewServer(t)
	srv.Repo(t, "other-project", map[string]string{"secret.txt": "s3cr3t\n"})
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	work := t.TempDir()
	gittest.RunGit(t, "", "clone", "--quiet", srv.Dir(t, "app"), work)
	gittest.RunGit(t, work, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", "file://"+srv.Dir(t, "other-project"), "lib")
	gittest.RunGit(t, work, "commit", "--quiet", "--message", "add lib")
	gittest.RunGit(t, work, "push", "--quiet", "origin", "main")

	dir := filepath.Join(t.TempDir(), "wt")
	_, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", RecurseSubmodules: true})
	if !errors.Is(err, gitrepo.ErrTransportNotAllowed) || !strings.Contains(err.Error(), "submodule lib") {
		t.Fatalf("Clone() = %v, want ErrTransportNotAllowed for submodule lib", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused clone left %s: %v", dir, err)
	}

	_, err = gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", RecurseSubmodules: true, Transports: gitrepo.Transports{gitrepo.TransportFile}})
	if err != nil {
		t.Fatalf("Clone() with file allowed = %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "lib", "secret.txt")); err != nil || string(got) != "s3cr3t\n" {
		t.Errorf("lib/secret.txt = %q, %v; want the submodule checked out", got, err)
	}
}

// TestCloneRelativeSubmodule: a submodule URL relative to the repository's own resolves to
// the same server, over the same transport, and is cloned with no option.
func TestCloneRelativeSubmodule(t *testing.T) {
	srv := gittest.NewServer(t)
	srv.Repo(t, "lib", map[string]string{"lib.txt": "lib\n"})
	url := srv.Repo(t, "app", map[string]string{"a.txt": "a\n"})
	work := t.TempDir()
	gittest.RunGit(t, "", "clone", "--quiet", srv.Dir(t, "app"), work)
	gittest.RunGit(t, work, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", "../lib.git", "lib")
	gittest.RunGit(t, work, "commit", "--quiet", "--message", "add lib")
	gittest.RunGit(t, work, "push", "--quiet", "origin", "main")

	dir := filepath.Join(t.TempDir(), "wt")
	if _, err := gitrepo.Clone(t.Context(), dir, gitrepo.CloneOptions{URL: url, Branch: "main", RecurseSubmodules: true}); err != nil {
		t.Fatalf("Clone() = %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "lib", "lib.txt")); err != nil || string(got) != "lib\n" {
		t.Errorf("lib/lib.txt = %q, %v; want the submodule checked out", got, err)
	}
}
