package secret_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/secret"
)

func newStore(t *testing.T) (*secret.Store, []byte) { return newStoreB(t) }

func newStoreB(t testing.TB) (*secret.Store, []byte) {
	t.Helper()
	b, key := keyAndBus(t)
	return openStore(t, b, key), key
}

// keyAndBus returns a fresh secrets key and a bus on a fresh server.
func keyAndBus(t testing.TB) (*bus.Bus, []byte) {
	t.Helper()
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	return bustest.Start(t).Connect(t), key
}

// openStore is a Store on b's secrets bucket, as one process would hold it.
func openStore(t testing.TB, b *bus.Bus, key []byte) *secret.Store {
	t.Helper()
	st, err := secret.NewStore(b.Secrets, key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sec(project, name, credType string, data map[string]string) *v1.Secret {
	s := &v1.Secret{TypeMeta: v1.TypeMeta{APIVersion: v1.CoreVersion, Kind: v1.KindSecret}, StringData: data}
	s.Metadata.Name, s.Metadata.Namespace = name, project
	if credType != "" {
		s.Metadata.Labels = map[string]string{v1.LabelCredType: credType}
	}
	return s
}

func TestPutGetEncrypts(t *testing.T) {
	ctx := t.Context()
	b, key := keyAndBus(t)
	st := openStore(t, b, key)
	s := sec("shop", "api", "", map[string]string{"token": "s3cr3t-value"})
	s.Data = map[string][]byte{"user": []byte("bot"), "token": []byte("overridden")}
	for i, want := range []string{"created", "unchanged"} {
		if got, err := st.Put(ctx, s); err != nil || got != want {
			t.Fatalf("Put #%d = %q, %v; want %q", i+1, got, err, want)
		}
	}
	got, err := st.Data(ctx, "shop", "api")
	if err != nil || got["token"] != "s3cr3t-value" || got["user"] != "bot" {
		t.Errorf("Data(shop, api) = %v, %v; want token from stringData and user from data", got, err)
	}
	raw, err := b.Secrets.Get(ctx, "shop.api")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Value(), []byte("s3cr3t-value")) || bytes.Contains(raw.Value(), []byte("bot")) {
		t.Error("the bucket holds a secret value in clear")
	}
	if missing, err := st.Data(ctx, "shop", "nope"); missing != nil || err != nil {
		t.Errorf("Data of a missing secret = %v, %v; want nil, nil", missing, err)
	}

	// Another key cannot read it, and says so.
	other := make([]byte, secret.KeySize)
	wrong, _ := secret.NewStore(b.Secrets, other)
	if _, err := wrong.Data(ctx, "shop", "api"); err == nil || !strings.Contains(err.Error(), "cannot be decrypted") {
		t.Errorf("Data with another key = %v, want a decryption error", err)
	}
	// A sealed value moved to another key does not open: the key is authenticated.
	if _, err := b.Secrets.Put(ctx, "shop.moved", raw.Value()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Data(ctx, "shop", "moved"); err == nil {
		t.Error("a secret copied under another name opened")
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	k1, err := secret.EnsureKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := secret.EnsureKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("EnsureKey twice gave different keys (%v)", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	hexPath := filepath.Join(dir, "hex")
	os.WriteFile(hexPath, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if k, err := secret.LoadKey(hexPath); err != nil || k[0] != 0xab {
		t.Errorf("LoadKey(hex) = %x, %v", k, err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("short"), 0o600)
	if _, err := secret.LoadKey(bad); err == nil || !strings.Contains(err.Error(), "want 32 bytes") {
		t.Errorf("LoadKey(short) = %v, want an error saying what a key is", err)
	}
}

func TestCredentials(t *testing.T) {
	ctx := t.Context()
	st, _ := newStore(t)
	for _, s := range []*v1.Secret{
		sec("shop", "exact", secret.TypeGit, map[string]string{"repoURL": "https://GitHub.com/acme/app.git", "username": "exact", "password": "p1"}),
		sec("shop", "pattern", secret.TypeGit, map[string]string{"repoURL": `^https://github\.com/acme/.*`, "repoURLIsRegex": "true", "username": "pattern", "password": "p2"}),
		sec("shop", "image", secret.TypeImage, map[string]string{"repoURL": "ghcr.io/acme/app", "username": "img", "password": "p3"}),
		sec(v1.SharedProject, "shared", secret.TypeGit, map[string]string{"repoURL": "https://git.example.com/x", "username": "shared", "password": "p4"}),
		sec("shop", "notcred", "", map[string]string{"repoURL": "https://git.example.com/y", "username": "no"}),
	} {
		if _, err := st.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		credType, url, wantUser string
	}{
		{secret.TypeGit, "https://github.com/acme/app", "exact"},         // normalised: case and .git
		{secret.TypeGit, "https://github.com/acme/other.git", "pattern"}, // regex after exact
		{secret.TypeImage, "ghcr.io/acme/app", "img"},
		{secret.TypeGit, "ghcr.io/acme/app", ""},                    // wrong type
		{secret.TypeGit, "https://git.example.com/x.git", "shared"}, // shared project
		{secret.TypeGit, "https://git.example.com/y", ""},           // unlabelled secrets are not credentials
	}
	for _, tt := range tests {
		c, err := st.Credentials(ctx, "shop", tt.credType, tt.url)
		if err != nil {
			t.Fatalf("Credentials(%s, %s) = %v", tt.credType, tt.url, err)
		}
		got := ""
		if c != nil {
			got = c.Username
		}
		if got != tt.wantUser {
			t.Errorf("Credentials(%s, %s) user = %q, want %q", tt.credType, tt.url, got, tt.wantUser)
		}
	}
	if s := (secret.Credentials{Username: "u", Password: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("Credentials.String() = %q shows the password", s)
	}
}

func TestSharedDataOnlyGeneric(t *testing.T) {
	ctx := t.Context()
	st, _ := newStore(t)
	st.Put(ctx, sec(v1.SharedProject, "slack", secret.TypeGeneric, map[string]string{"url": "https://hooks"}))
	st.Put(ctx, sec(v1.SharedProject, "gitcred", secret.TypeGit, map[string]string{"password": "x"}))
	if d, err := st.SharedData(ctx, "slack"); err != nil || d["url"] != "https://hooks" {
		t.Errorf("SharedData(slack) = %v, %v", d, err)
	}
	if d, err := st.SharedData(ctx, "gitcred"); err != nil || d != nil {
		t.Errorf("SharedData(gitcred) = %v, %v; want nil: only generic secrets are shared", d, err)
	}
	list, err := st.List(ctx, v1.SharedProject)
	if err != nil || len(list) != 2 || list[0].Metadata.Name != "gitcred" {
		t.Fatalf("List = %v, %v", list, err)
	}
	if sum := secret.Summary(list[1]); len(sum.Keys) != 1 || sum.Keys[0] != "url" {
		t.Errorf("Summary = %+v", sum)
	}
}

// TestListingsFollowTheBucket: a Store reuses a project's listing only while the bucket is
// unchanged, so a Secret put or deleted, here or by another process's Store, is seen at once.
func TestListingsFollowTheBucket(t *testing.T) {
	ctx := t.Context()
	b, key := keyAndBus(t)
	here, elsewhere := openStore(t, b, key), openStore(t, b, key)
	const url = "https://git.example.com/app.git"
	lookup := func(step string, want string) {
		t.Helper()
		c, err := here.Credentials(ctx, "shop", secret.TypeGit, url)
		got := ""
		if c != nil {
			got = c.Password
		}
		if err != nil || got != want {
			t.Fatalf("%s: Credentials() password = %q, %v; want %q", step, got, err, want)
		}
	}
	lookup("empty bucket", "")
	if _, err := here.Put(ctx, sec("shop", "repo", secret.TypeGit, map[string]string{"repoURL": url, "password": "one"})); err != nil {
		t.Fatal(err)
	}
	lookup("after a put here", "one")
	lookup("unchanged", "one")
	if _, err := elsewhere.Put(ctx, sec("shop", "repo", secret.TypeGit, map[string]string{"repoURL": url, "password": "two"})); err != nil {
		t.Fatal(err)
	}
	lookup("after a put by another Store", "two")
	if _, err := elsewhere.Put(ctx, sec("other", "x", "", map[string]string{"a": "b"})); err != nil {
		t.Fatal(err)
	}
	lookup("after a put in another project", "two")
	if err := elsewhere.Delete(ctx, "shop", "repo"); err != nil {
		t.Fatal(err)
	}
	lookup("after a delete by another Store", "")
	if list, err := here.List(ctx, "other"); err != nil || len(list) != 1 || list[0].Metadata.Name != "x" {
		t.Errorf("List(other) = %v, %v; want [x]", list, err)
	}
}

// TestListThroughLeaderElection: on a 3-node cluster, a lookup of credentials (a git step's)
// made while the secrets bucket has no leader — two of its three nodes are lost, and come back
// seconds later — waits for the new leader rather than failing, and its Promotion with it.
func TestListThroughLeaderElection(t *testing.T) {
	c := bustest.StartCluster(t, 3)
	b := c.Connect(t)
	key, err := secret.EnsureKey(filepath.Join(t.TempDir(), "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(t, b, key).Put(t.Context(), sec("shop", "repo", "git", map[string]string{"password": "pw"})); err != nil {
		t.Fatal(err)
	}
	leader := c.StreamLeader("KV_" + bus.BucketSecrets)
	if leader < 0 {
		t.Fatal("the secrets bucket has no leader")
	}
	lost := []int{leader, (leader + 1) % 3}
	for _, i := range lost {
		c.Stop(i)
	}
	type listed struct {
		ss  []*v1.Secret
		err error
	}
	done := make(chan listed, 1)
	fresh := openStore(t, b, key) // no listing kept: it reads the bucket
	go func() {
		ss, err := fresh.List(t.Context(), "shop")
		done <- listed{ss, err}
	}()
	time.Sleep(6 * time.Second) // longer than one request's timeout
	for _, i := range lost {
		c.Start(i)
	}
	got := <-done
	ss, err := got.ss, got.err
	if err != nil {
		t.Fatalf("List() while the bucket had no leader = %v", err)
	}
	if len(ss) != 1 || ss[0].Metadata.Name != "repo" {
		t.Errorf("List() = %d secrets, want repo", len(ss))
	}
}
