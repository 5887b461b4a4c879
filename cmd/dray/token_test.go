package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/executor"
)

// TestTokenCreateNATS: dray token create --nats writes a credential (0600, never printed)
// that connects to dray up's NATS; a promote command it publishes under its name makes a
// Promotion whose actor is the token, though the command's body claims another, and the audit
// trail says the same. The file is never overwritten.
func TestTokenCreateNATS(t *testing.T) {
	in, err := allinone.Start(context.Background(), allinone.Options{
		DataDir: t.TempDir(), Addr: "127.0.0.1:0", NATSPort: -1,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Executor: executor.Options{CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Stop)
	adminTokens.Store(in.URL, in.AdminToken)
	server := in.URL
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "freight.yaml": freight,
		"stage.yaml": strings.Replace(stage, "REPO", "https://127.0.0.1:1/x.git", 1)})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("dray apply: %v\n%s", err, out)
	}

	file := filepath.Join(t.TempDir(), "ci.nats.json")
	out, err := dray(t, server, "token", "create", "ci", "-p", "shop", "--nats", "--nats-file", file, "--nats-url", in.NATS.ClientURL())
	if err != nil {
		t.Fatalf("dray token create --nats: %v\n%s", err, out)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credential file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(file)
	var creds natsContext
	if err := json.Unmarshal(raw, &creds); err != nil || creds.URL != in.NATS.ClientURL() || creds.InboxPrefix != bus.TokenInboxPrefix("shop", "ci") {
		t.Fatalf("credential file = %s (%v), want a nats context with the URL and inbox prefix", raw, err)
	}
	if strings.Contains(out, creds.Token) {
		t.Error("the token was printed; it belongs in the file alone")
	}
	if out, err := dray(t, server, "token", "create", "ci2", "-p", "shop", "--nats", "--nats-file", file); err == nil {
		t.Errorf("a second token written over %s: %s", file, out)
	}
	if after, _ := os.ReadFile(file); string(after) != string(raw) {
		t.Error("the credential file was overwritten")
	}

	nc, err := nats.Connect(creds.URL, nats.Token(creds.Token), nats.CustomInboxPrefix(creds.InboxPrefix))
	if err != nil {
		t.Fatalf("connect with the credential: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"stage":"dev","freight":"quiet-lynx","actor":"email:boss@example.com"}`
	if _, err := js.Publish(t.Context(), bus.CommandSubjectAs("shop", "promote", "ci"), []byte(body)); err != nil {
		t.Fatalf("publish a promote command: %v", err)
	}
	c := adminClient(server)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps, err := c.Promotions(t.Context(), "shop")
		if err == nil && len(ps) == 1 {
			if got := ps[0].Metadata.Annotations[v1.AnnotationCreateActor]; got != "token:shop/ci" {
				t.Errorf("promotion actor = %q, want token:shop/ci (the body's claim does not count)", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no promotion from the NATS command after 30s: %v %v", ps, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	list, err := c.Audit(t.Context(), "shop", url.Values{"verb": {"promote"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Records) != 1 || list.Records[0].Actor != "token:shop/ci" || list.Records[0].Source != v1.AuditSourceBus {
		t.Errorf("audit of the promote = %+v, want one record from the bus by token:shop/ci", list.Records)
	}
}
