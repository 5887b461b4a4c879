package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

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
