package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/cmd/dray/allinone"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
)

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		addr          string
		tls, insecure bool
		wantRefused   bool
	}{
		{"127.0.0.1:8080", false, false, false},
		{"localhost:8080", false, false, false},
		{"[::1]:8080", false, false, false},
		{":8080", false, false, true},
		{"0.0.0.0:8080", false, false, true},
		{"0.0.0.0:8080", true, false, false},
		{"10.0.0.5:8080", false, true, false},
	}
	for _, tt := range tests {
		err := checkExposure(tt.addr, tt.tls, tt.insecure)
		if (err != nil) != tt.wantRefused {
			t.Errorf("checkExposure(%q, tls=%v, insecure=%v) = %v, want refused %v", tt.addr, tt.tls, tt.insecure, err, tt.wantRefused)
		}
	}
}

// The demo's Git server lets anyone clone, and takes a push only with the admin token.
func TestGuardPush(t *testing.T) {
	var admin atomic.Pointer[string]
	tok := "dray__system.admin_SECRET"
	admin.Store(&tok)
	h := guardPush(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }), &admin)
	tests := []struct {
		path, pass string
		want       int
	}{
		{"/r.git/info/refs?service=git-upload-pack", "", http.StatusOK},
		{"/r.git/git-upload-pack", "", http.StatusOK},
		{"/r.git/info/refs?service=git-receive-pack", "", http.StatusUnauthorized},
		{"/r.git/git-receive-pack", "wrong", http.StatusUnauthorized},
		{"/r.git/git-receive-pack", tok, http.StatusOK},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, tt.path, nil)
		if tt.pass != "" {
			r.SetBasicAuth("dray", tt.pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s with password %q: %d, want %d", tt.path, tt.pass, w.Code, tt.want)
		}
	}
}

// dray up's NATS takes no client without credentials; the admin's nkey seed in the data
// directory lets a person (nats --nkey) publish a command.
func TestUpNATSNeedsCredentials(t *testing.T) {
	dir := t.TempDir()
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: dir, Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	if nc, err := nats.Connect(in.NATS.ClientURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client without credentials connected to dray up's NATS")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("want an authorization error, got %v", err)
	}
	fi, err := os.Stat(allinone.AdminNKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", allinone.AdminNKeyFile(dir), fi.Mode().Perm())
	}
	opt, err := nats.NkeyOptionFromSeed(allinone.AdminNKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(in.NATS.ClientURL(), opt)
	if err != nil {
		t.Fatalf("connect with the admin's nkey: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), "dray.cmd.demo.refresh", []byte(`{}`)); err != nil {
		t.Fatalf("the admin cannot publish a command: %v", err)
	}
}

// TestUpAuditMaxAge: dray up --audit-max-age sets how long DRAY_AUDIT keeps records, and a
// later start with another age changes it (the admin declares the layout).
func TestUpAuditMaxAge(t *testing.T) {
	if f := newUp().Flags().Lookup("audit-max-age"); f == nil || f.DefValue != bus.DefaultAuditMaxAge.String() {
		t.Fatalf("dray up --audit-max-age = %+v, want a flag defaulting to a year", f)
	}
	dir := t.TempDir()
	for _, age := range []time.Duration{48 * time.Hour, 90 * 24 * time.Hour} {
		in, err := allinone.Start(context.Background(), allinone.Options{
			DataDir: dir, Addr: "127.0.0.1:0", NATSPort: -1, AuditMaxAge: age,
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			Executor: executor.Options{CacheDir: t.TempDir()},
		})
		if err != nil {
			t.Fatalf("dray up --audit-max-age %s: %v", age, err)
		}
		nc, err := in.Connect("test")
		if err != nil {
			in.Stop()
			t.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		s, err := js.Stream(t.Context(), bus.StreamAudit)
		if err == nil && s.CachedInfo().Config.MaxAge != age {
			err = fmt.Errorf("MaxAge %s", s.CachedInfo().Config.MaxAge)
		}
		nc.Close()
		in.Stop()
		if err != nil {
			t.Fatalf("DRAY_AUDIT after dray up --audit-max-age %s: %v", age, err)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the log handler and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemo: dray up --demo's pipeline moves by itself with no network: its Warehouse finds
// the first Freight in the demo's own application repository, dev and staging take it, and
// prod takes it only once approved. The warehouse service logs no warning or error on the way.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	git, err := demoGit(dir)
	if err != nil {
		t.Fatal(err)
	}
	var push atomic.Pointer[string]
	var log syncBuffer
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: dir, Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Executor: executor.Options{CacheDir: t.TempDir()},
		Mounts:   map[string]http.Handler{"/git/": http.StripPrefix("/git", guardPush(git, &push))},
	})
	if err != nil {
		t.Fatalf("dray up: %v", err)
	}
	t.Cleanup(in.Stop)
	push.Store(&in.AdminToken)
	adminTokens.Store(in.URL, in.AdminToken)
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	if err := runDemo(t.Context(), cmd, in.URL, in.AdminToken); err != nil {
		t.Fatalf("runDemo: %v\n%s\nlog:\n%s", err, out.String(), log.String())
	}
	m := regexp.MustCompile(`Demo: Freight (\S+) \(guestbook-app v1\.0\.0\) went to dev, then to staging`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo printed:\n%s", out.String())
	}
	alias := m[1]
	if out, err := dray(t, in.URL, "promote", "--stage", "prod", "--freight", alias); err == nil {
		t.Errorf("prod took Freight that was neither soaked nor approved:\n%s", out)
	}
	if out, err := dray(t, in.URL, "approve", alias, "--stage", "prod"); err != nil {
		t.Fatalf("approve: %v\n%s", err, out)
	}
	var promoted string
	for range 50 { // the approval is a command: it lands shortly
		promoted, err = dray(t, in.URL, "promote", "--stage", "prod", "--freight", alias, "--wait")
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || !strings.Contains(promoted, ": Succeeded\n") {
		t.Fatalf("promote to prod after approval: %v\n%s", err, promoted)
	}
	cfg, err := git.Dir("guestbook-config")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		b, err := exec.Command("git", "-C", cfg, "show", "main:env/"+env+"/values.yaml").Output()
		if err != nil || !strings.Contains(string(b), "tag: v1.0.0") {
			t.Errorf("env/%s/values.yaml on main = %q, %v; want tag v1.0.0", env, b, err)
		}
	}
	// Its Warehouse reaches nothing outside the machine: the warehouse service never warns.
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "service=warehouse") {
			t.Errorf("the demo's warehouse service logged: %s", line)
		}
	}
}
