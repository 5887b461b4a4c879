package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/audit"
	"github.com/drayhq/dray/pkg/bus"
)

// trail reads every record of the audit trail, the two records of an allowed request merged.
func trail(t *testing.T, a *api) []v1.AuditRecord {
	t.Helper()
	list, err := audit.Query(t.Context(), a.Bus.JS, audit.Filter{AllProjects: true, Limit: audit.MaxLimit})
	if err != nil {
		t.Fatalf("read audit trail: %v", err)
	}
	return list.Records
}

// findRecord returns the last record of actor and verb on path, waiting for it a while.
func findRecord(t *testing.T, a *api, actor, verb, path string) v1.AuditRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs := trail(t, a)
		for i := len(recs) - 1; i >= 0; i-- {
			if r := recs[i]; r.Actor == actor && r.Verb == verb && r.Path == path && r.Status != 0 {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit record of %s %s on %s in %+v", actor, verb, path, recs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func commandCount(t *testing.T, a *api, project, verb string) uint64 {
	t.Helper()
	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamCommands)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context(), jetstream.WithSubjectFilter(bus.CommandSubject(project, verb)))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[bus.CommandSubject(project, verb)]
}

// TestAuditRecordsDecisions: a refused (401, 403) and an accepted mutating request each land
// in DRAY_AUDIT with the actor the gateway authenticated and the result; a refusal changes
// nothing; a refused read is recorded too, an allowed read is not.
func TestAuditRecordsDecisions(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	viewer := newToken(t, a, v1.APIToken{Name: "v", Project: "demo", Role: "viewer"})
	dev := newToken(t, a, v1.APIToken{Name: "d", Project: "demo", Role: "developer"})
	const promotions = "/api/v1/projects/demo/promotions"
	body := `{"stage":"prod","freight":"first","actor":"email:mallory@example.com"}`

	if code, _ := sendAs(t, "", http.MethodPost, base+promotions, body); code != http.StatusUnauthorized {
		t.Fatalf("anonymous promote: %d, want 401", code)
	}
	if code, _ := sendAs(t, viewer, http.MethodPost, base+promotions, body); code != http.StatusForbidden {
		t.Fatalf("viewer promote: %d, want 403", code)
	}
	if n := commandCount(t, a, "demo", "promote"); n != 0 {
		t.Fatalf("%d promote commands after two refusals, want none", n)
	}
	if code, e := sendAs(t, dev, http.MethodPost, base+promotions, body); code != http.StatusAccepted {
		t.Fatalf("developer promote: %d %s", code, e.Error)
	}
	if code, _ := sendAs(t, "", http.MethodGet, base+"/api/v1/projects/demo/stages/prod", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous get stage: %d, want 401", code)
	}
	if code, _ := sendAs(t, viewer, http.MethodGet, base+"/api/v1/projects/demo/stages/dev", ""); code != http.StatusOK {
		t.Fatalf("viewer get stage: %d, want 200", code)
	}

	tests := []struct {
		actor, verb, path, result string
		status                    int
		reason                    string
	}{
		{"anonymous", "promote", promotions, v1.AuditRefused, http.StatusUnauthorized, "authentication required"},
		{"token:demo/v", "promote", promotions, v1.AuditRefused, http.StatusForbidden, "may not promote stages in project demo"},
		{"token:demo/d", "promote", promotions, v1.AuditAllowed, http.StatusAccepted, ""},
		{"anonymous", "get", "/api/v1/projects/demo/stages/prod", v1.AuditRefused, http.StatusUnauthorized, "authentication required"},
		{"token:test-admin", "apply", "/api/v1/resources", v1.AuditAllowed, http.StatusOK, ""},
	}
	for _, tt := range tests {
		rec := findRecord(t, a, tt.actor, tt.verb, tt.path)
		if rec.Result != tt.result || rec.Status != tt.status || !strings.Contains(rec.Reason, tt.reason) || rec.Source != v1.AuditSourceAPI ||
			rec.RemoteAddr == "" || rec.Time.IsZero() || !strings.HasPrefix(rec.ID, "api/") {
			t.Errorf("record of %s %s %s = %+v, want %s %d with reason %q", tt.actor, tt.verb, tt.path, rec, tt.result, tt.status, tt.reason)
		}
	}
	if rec := findRecord(t, a, "token:test-admin", "apply", "/api/v1/resources"); rec.Project != "demo" {
		t.Errorf("record of a system admin's apply to demo = %+v, want it filed under demo, the resources' project", rec)
	}
	if list, err := audit.Query(t.Context(), a.Bus.JS, audit.Filter{Project: "demo", Verb: "apply"}); err != nil || len(list.Records) != 1 || list.Records[0].Status != http.StatusOK {
		t.Errorf("demo's apply records = %+v, %v; want the apply once, completed with 200", list.Records, err)
	}
	if rec := findRecord(t, a, "token:demo/d", "promote", promotions); rec.Project != "demo" || rec.Resource != "stages" || rec.Name != "prod" || rec.UserAgent == "" {
		t.Errorf("record of the accepted promote = %+v, want project demo, stages/prod and the user agent", rec)
	}
	for _, rec := range trail(t, a) {
		if rec.Actor == "token:demo/v" && rec.Verb == "get" {
			t.Errorf("an allowed read was recorded: %+v", rec)
		}
		if strings.Contains(rec.Actor, "mallory") {
			t.Errorf("the body's actor reached the trail: %+v", rec)
		}
	}
}

// TestAuditHoldsNoSecret: applying a Secret, creating a token and a refused request with a
// token leave records that name them, never their values.
func TestAuditHoldsNoSecret(t *testing.T) {
	base, _, a := testGateway(t)
	const value = "hunter2-very-secret-value"
	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: demo}\nstringData: {password: " + value + "}\n"
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: demo}\n---\n"+secret); code != http.StatusOK {
		t.Fatalf("apply secret: %d %s", code, e.Error)
	}
	bad := strings.Replace(secret, "stringData:", "stringDatum:", 1)
	if code, _ := send(t, http.MethodPost, base+"/api/v1/resources", bad); code < 400 {
		t.Fatalf("apply a malformed secret: %d, want an error", code)
	}
	admin := newToken(t, a, v1.APIToken{Name: "boss", Project: "demo", Role: "admin"})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/v1/projects/demo/tokens", strings.NewReader(`{"name":"ci","role":"developer"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created v1.CreateTokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if created.Token == "" {
		t.Fatalf("create token: %d", resp.StatusCode)
	}
	tampered := admin[:len(admin)-2] + "QQ"
	if code, _ := sendAs(t, tampered, http.MethodDelete, base+"/api/v1/projects/demo/tokens/ci", ""); code != http.StatusUnauthorized {
		t.Fatalf("tampered token: %d, want 401", code)
	}
	findRecord(t, a, "anonymous", "delete", "/api/v1/projects/demo/tokens/ci")
	findRecord(t, a, "token:demo/boss", "create", "/api/v1/projects/demo/tokens")

	s, err := a.Bus.JS.Stream(t.Context(), bus.StreamAudit)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < 5 {
		t.Fatalf("the trail holds %d messages, want the applies, the token and the refusal", info.State.Msgs)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		for what, v := range map[string]string{"the secret value": value, "the new token": created.Token, "the admin token": admin, "the tampered token": tampered} {
			if strings.Contains(string(m.Data), v) {
				t.Errorf("audit record %d holds %s: %s", seq, what, m.Data)
			}
		}
	}
}

// TestAuditUnavailableRefusesChanges: when the trail does not take a record, a mutating
// request is refused with 503 and changes nothing.
func TestAuditUnavailableRefusesChanges(t *testing.T) {
	base, mux, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	mux.audit.timeout = 500 * time.Millisecond
	if err := a.Bus.JS.DeleteStream(t.Context(), bus.StreamAudit); err != nil {
		t.Fatal(err)
	}
	code, e := send(t, http.MethodPost, base+"/api/v1/projects/demo/promotions", `{"stage":"prod","freight":"first"}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(e.Error, "audit trail") {
		t.Errorf("promote without a trail: %d %q, want 503 naming the audit trail", code, e.Error)
	}
	if n := commandCount(t, a, "demo", "promote"); n != 0 {
		t.Errorf("%d promote commands published without an audit record, want none", n)
	}
	code, e = send(t, http.MethodPost, base+"/api/v1/resources", "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: unrecorded}\n")
	if code != http.StatusServiceUnavailable || !strings.Contains(e.Error, "audit trail") {
		t.Errorf("apply without a trail: %d %q, want 503 naming the audit trail", code, e.Error)
	}
	if _, err := a.Bus.Resources.Get(t.Context(), bus.ResourceKey(bus.ClusterProject, v1.KindProject, "unrecorded")); err == nil {
		t.Error("a Project was applied without an audit record")
	}
	// Each refused change failed to append once before it was answered, and once after.
	want := "# HELP dray_audit_append_failures_total Audit records the trail did not take, by source (api, bus).\n" +
		"# TYPE dray_audit_append_failures_total counter\ndray_audit_append_failures_total{source=\"api\"} 4\n"
	if err := testutil.GatherAndCompare(a.Metrics.(prometheus.Gatherer), strings.NewReader(want), "dray_audit_append_failures_total"); err != nil {
		t.Error(err)
	}
}

// listAuditAs reads GET path as tok and decodes the page.
func listAuditAs(t *testing.T, tok, u string) (int, v1.AuditList) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list v1.AuditList
	_ = json.NewDecoder(resp.Body).Decode(&list)
	return resp.StatusCode, list
}

// TestAuditList: project admins read their project's trail, system admins every project's;
// filters and pages select what they say.
func TestAuditList(t *testing.T) {
	base, _, a := testGateway(t)
	if code, e := send(t, http.MethodPost, base+"/api/v1/resources", demoPipeline()); code != http.StatusOK {
		t.Fatalf("apply pipeline: %d %s", code, e.Error)
	}
	admin := newToken(t, a, v1.APIToken{Name: "boss", Project: "demo", Role: "admin"})
	dev := newToken(t, a, v1.APIToken{Name: "d", Project: "demo", Role: "developer"})
	other := newToken(t, a, v1.APIToken{Name: "o", Project: "other", Role: "admin"})
	for _, stage := range []string{"dev", "prod", "dev"} {
		if code, e := sendAs(t, dev, http.MethodPost, base+"/api/v1/projects/demo/promotions", `{"stage":"`+stage+`","freight":"first"}`); code != http.StatusAccepted {
			t.Fatalf("promote %s: %d %s", stage, code, e.Error)
		}
	}
	if code, _ := sendAs(t, other, http.MethodPost, base+"/api/v1/projects/other/stages/x/pause", `{}`); code == 0 {
		t.Fatal("pause in other")
	}
	sendAs(t, "", http.MethodPost, base+"/api/v1/tokens", `{"name":"root"}`) // anonymous, no project
	start := time.Now().UTC().Format(time.RFC3339Nano)

	demo := base + "/api/v1/projects/demo/audit"
	code, list := listAuditAs(t, admin, demo+"?actor=token:demo/d&verb=promote")
	if code != http.StatusOK || len(list.Records) != 3 {
		t.Fatalf("demo admin lists the developer's promotions: %d %+v, want 3", code, list)
	}
	for _, r := range list.Records {
		if r.Project != "demo" || r.Actor != "token:demo/d" || r.Verb != "promote" || r.Status != http.StatusAccepted {
			t.Errorf("filtered record %+v, want demo promotions of token:demo/d answered 202", r)
		}
	}
	// Pages of one record: the first, then the next from its continue, then the last.
	var names []string
	u := demo + "?actor=token:demo/d&limit=1"
	for range 5 {
		code, page := listAuditAs(t, admin, u)
		if code != http.StatusOK || len(page.Records) != 1 {
			t.Fatalf("page %s: %d %+v", u, code, page)
		}
		names = append(names, page.Records[0].Name)
		if page.Continue == "" {
			break
		}
		u = demo + "?actor=token:demo/d&limit=1&continue=" + page.Continue
	}
	if strings.Join(names, ",") != "dev,prod,dev" {
		t.Errorf("pages named %v, want dev,prod,dev", names)
	}
	if _, l := listAuditAs(t, admin, demo+"?resource=tokens"); len(l.Records) != 0 {
		t.Errorf("demo's token records = %+v, want none", l.Records)
	}
	if _, l := listAuditAs(t, admin, demo+"?from="+start); len(l.Records) != 0 {
		t.Errorf("records from %s = %+v, want none", start, l.Records)
	}
	if _, l := listAuditAs(t, admin, demo+"?to=2000-01-01T00:00:00Z"); len(l.Records) != 0 {
		t.Errorf("records before 2000 = %+v, want none", l.Records)
	}
	// A project admin sees only its project; every project's trail is the system admin's.
	code, l := listAuditAs(t, admin, demo)
	for _, r := range l.Records {
		if r.Project != "demo" {
			t.Errorf("demo's trail holds %+v", r)
		}
	}
	if code != http.StatusOK || len(l.Records) < 3 {
		t.Errorf("demo's trail: %d, %d records, want at least the three promotions", code, len(l.Records))
	}
	for _, u := range []string{base + "/api/v1/audit", base + "/api/v1/audit?project=demo", base + "/api/v1/projects/other/audit"} {
		if code, _ := listAuditAs(t, admin, u); code != http.StatusForbidden {
			t.Errorf("demo admin GET %s: %d, want 403", u, code)
		}
	}
	if code, _ := listAuditAs(t, dev, demo); code != http.StatusForbidden {
		t.Errorf("developer reads demo's trail: %d, want 403", code)
	}
	var sysTok string
	adminTokens.Range(func(_, v any) bool { sysTok = v.(string); return false })
	code, all := listAuditAs(t, sysTok, base+"/api/v1/audit")
	projects := map[string]bool{}
	for _, r := range all.Records {
		projects[r.Project] = true
	}
	if code != http.StatusOK || !projects["demo"] || !projects["other"] || !projects[""] {
		t.Errorf("system admin's trail: %d, projects %v, want demo, other and the system's", code, projects)
	}
	if _, l := listAuditAs(t, sysTok, base+"/api/v1/audit?project=other&verb=update"); len(l.Records) != 1 || l.Records[0].Name != "x" {
		t.Errorf("system admin filters project other: %+v, want the pause", l.Records)
	}
	for q, field := range map[string]string{"?limit=0": "limit", "?from=yesterday": "from", "?continue=x": "continue", "?verb=a.b": "verb"} {
		if code, e := send(t, http.MethodGet, demo+q, ""); code != http.StatusBadRequest || !strings.HasPrefix(e.Error, field) {
			t.Errorf("GET %s: %d %q, want 400 naming %s", q, code, e.Error, field)
		}
	}
}
