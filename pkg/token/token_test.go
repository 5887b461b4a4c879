package token_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/token"
)

func TestParse(t *testing.T) {
	for text, want := range map[string]string{
		"dray_shop.ci_ABCDEFGHIJKLMNOPQRSTUVWXYZ":     "shop.ci",
		"dray__system.admin_ABCDEFGHIJKLMNOPQRSTUVWX": "_system.admin",
		"dray_shop.ci_short":                          "",
		"Bearer dray_shop.ci_ABCDEFGHIJKLMNOPQRSTUV":  "",
		"dray_Shop.ci_ABCDEFGHIJKLMNOPQRSTUVWXYZ":     "",
		"dray_shop_ABCDEFGHIJKLMNOPQRSTUVWXYZ":        "",
		"dray_shop.a.b_ABCDEFGHIJKLMNOPQRSTUVWXYZ":    "",
	} {
		got, err := token.Parse(text)
		if got != want || (want == "") != errors.Is(err, token.ErrMalformed) {
			t.Errorf("Parse(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
}

// A token works once created, stops working when revoked or expired, and only its hash is
// stored.
func TestStoreAndIndex(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := token.NewStore(b.Tokens)
	ix, err := token.Watch(t.Context(), b.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	text, rec, err := s.Create(t.Context(), v1.APIToken{Name: "ci", Project: "shop", Role: "developer"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "dray_shop.ci_") {
		t.Errorf("token = %q, want dray_shop.ci_…", text)
	}
	e, err := b.Tokens.Get(t.Context(), "shop.ci")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(e.Value()), text[len("dray_shop.ci_"):]) || !strings.Contains(string(e.Value()), rec.SHA256) {
		t.Errorf("stored %s, want the hash and not the secret", e.Value())
	}
	if _, _, err := s.Create(t.Context(), v1.APIToken{Name: "ci", Project: "shop", Role: "viewer"}); !errors.Is(err, token.ErrExists) {
		t.Errorf("Create twice = %v, want ErrExists", err)
	}
	wait := func(want error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := ix.Lookup(text, time.Now())
			if errors.Is(err, want) || want == nil && err == nil && got.Role == "developer" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Lookup = %+v, %v; want %v", got, err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait(nil)
	tampered := text[:len(text)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(text, "A")]
	if _, err := ix.Lookup(tampered, time.Now()); !errors.Is(err, token.ErrUnknown) {
		t.Errorf("tampered token: %v, want ErrUnknown", err)
	}
	list, err := s.List(t.Context(), "shop")
	if err != nil || len(list) != 1 || list[0].Name != "ci" || list[0].SHA256 != "" {
		t.Errorf("List = %+v, %v; want ci without its hash", list, err)
	}
	if err := s.Revoke(t.Context(), "shop", "ci"); err != nil {
		t.Fatal(err)
	}
	wait(token.ErrUnknown)
	if err := s.Revoke(t.Context(), "shop", "ci"); !errors.Is(err, token.ErrNotFound) {
		t.Errorf("Revoke twice = %v, want ErrNotFound", err)
	}

	past := time.Now().Add(-time.Minute)
	text, _, err = s.Create(t.Context(), v1.APIToken{Name: "old", Project: "shop", Role: "viewer", ExpiresAt: &past})
	if err != nil {
		t.Fatal(err)
	}
	wait(token.ErrExpired)
}

// dray up keeps its admin token across restarts and makes a new one when it stops working.
func TestEnsureAdminFile(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	s := token.NewStore(b.Tokens)
	file := filepath.Join(t.TempDir(), "admin.token")
	first, err := s.EnsureAdminFile(t.Context(), file, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin token file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	again, err := s.EnsureAdminFile(t.Context(), file, "admin")
	if err != nil || again != first {
		t.Errorf("second start = %q, %v; want the same token", again, err)
	}
	if err := s.Revoke(t.Context(), "", "admin"); err != nil {
		t.Fatal(err)
	}
	third, err := s.EnsureAdminFile(t.Context(), file, "admin")
	if err != nil || third == first {
		t.Errorf("after revoke = %q, %v; want a new token", third, err)
	}
}
