package access_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func TestClaimAnnotations(t *testing.T) {
	got := access.ClaimAnnotations(map[string]string{
		"rbac.kargo.akuity.io/claim.groups": " release-managers, sre ,,",
		"rbac.kargo.akuity.io/claim.email":  "ann@example.com",
		"rbac.kargo.akuity.io/claim.":       "ignored",
		"kargo.akuity.io/create-actor":      "ignored",
	})
	want := access.Claims{"groups": {"release-managers", "sre"}, "email": {"ann@example.com"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClaimAnnotations (-want +got):\n%s", diff)
	}
}

// oidcShop maps OIDC users to roles of project shop the way Kargo does: ServiceAccounts
// annotated with claims, bound to Roles; and a Role of Kargo's shape naming its users.
func oidcShop() *access.Policy {
	sa := func(name string, annotations map[string]string) v1.ServiceAccount {
		return v1.ServiceAccount{Metadata: v1.ObjectMeta{Name: name, Namespace: "shop", Annotations: annotations}}
	}
	return access.NewPolicy("shop",
		[]v1.ServiceAccount{
			sa("release-managers", map[string]string{"rbac.kargo.akuity.io/claim.groups": "release-managers"}),
			sa("developer", map[string]string{"rbac.kargo.akuity.io/claim.groups": "devs, contractors", "rbac.kargo.akuity.io/claim.email": "lead@example.com"}),
			sa("viewer", map[string]string{"rbac.kargo.akuity.io/claim.sub": "auditor-1"}),
			sa("robots", nil),
		},
		[]v1.Role{
			{TypeMeta: v1.TypeMeta{APIVersion: v1.RBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "developer"},
				Rules: []v1.PolicyRule{
					{Resources: []string{"*"}, Verbs: []string{"get", "list"}},
					{Resources: []string{"stages"}, ResourceNames: []string{"dev"}, Verbs: []string{"promote"}},
				}},
			{TypeMeta: v1.TypeMeta{APIVersion: v1.RBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "prod-promoter"},
				Rules: []v1.PolicyRule{{Resources: []string{"stages"}, ResourceNames: []string{"prod"}, Verbs: []string{"promote", "approve"}}}},
			{TypeMeta: v1.TypeMeta{APIVersion: v1.KargoRBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "freight-aliaser"},
				Emails: []string{"ann@example.com"}, Groups: []string{"release-managers"},
				Rules: []v1.PolicyRule{{Resources: []string{"freights"}, Verbs: []string{"update"}}}},
		},
		[]v1.RoleBinding{{Metadata: v1.ObjectMeta{Name: "rm"}, RoleRef: v1.RoleRef{Kind: "Role", Name: "prod-promoter"},
			Subjects: []v1.Subject{{Kind: v1.KindServiceAccount, Name: "release-managers"}}}})
}

func TestAccounts(t *testing.T) {
	p := oidcShop()
	tests := []struct {
		name   string
		claims access.Claims
		want   []string
	}{
		{"group", access.Claims{"sub": {"u1"}, "groups": {"release-managers"}}, []string{"freight-aliaser", "release-managers"}},
		{"second value of the list", access.Claims{"groups": {"contractors"}}, []string{"developer"}},
		{"email", access.Claims{"email": {"lead@example.com"}}, []string{"developer"}},
		{"sub", access.Claims{"sub": {"auditor-1"}}, []string{"viewer"}},
		{"kargo role by email", access.Claims{"email": {"ann@example.com"}}, []string{"freight-aliaser"}},
		{"several groups", access.Claims{"groups": {"devs", "release-managers"}}, []string{"developer", "freight-aliaser", "release-managers"}},
		{"values are case-sensitive", access.Claims{"groups": {"Release-Managers"}}, nil},
		{"claim name must match", access.Claims{"roles": {"release-managers"}}, nil},
		{"value of another claim", access.Claims{"email": {"auditor-1"}}, nil},
		{"no claims", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.Accounts(tt.claims)); diff != "" {
				t.Errorf("Accounts(%v) (-want +got):\n%s", tt.claims, diff)
			}
		})
	}
	if got := (*access.Policy)(nil).Accounts(access.Claims{"groups": {"admin"}}); got != nil {
		t.Errorf("nil policy maps %v, want nobody", got)
	}
}

func TestDecideOIDC(t *testing.T) {
	user := func(groups ...string) access.Identity {
		return access.Identity{OIDC: &access.OIDCUser{Subject: "u1", Email: "u1@example.com", Claims: access.Claims{"sub": {"u1"}, "groups": groups}}}
	}
	req := func(verb, resource, name string) access.Request {
		return access.Request{Verb: verb, Resource: resource, Project: "shop", Name: name}
	}
	tests := []struct {
		name string
		id   access.Identity
		req  access.Request
		want string // "" allowed, else the role the refusal names
	}{
		{"release manager promotes prod", user("release-managers"), req("promote", "stages", "prod"), ""},
		{"release manager approves prod", user("release-managers"), req("approve", "stages", "prod"), ""},
		{"release manager gets the kargo role too", user("release-managers"), req("update", "freights", "f1"), ""},
		{"release manager may not promote dev", user("release-managers"), req("promote", "stages", "dev"), "developer"},
		{"developer promotes dev", user("devs"), req("promote", "stages", "dev"), ""},
		{"developer refused prod", user("devs"), req("promote", "stages", "prod"), "release-managers"},
		{"both groups: union of roles", user("devs", "release-managers"), req("promote", "stages", "dev"), ""},
		{"unmapped user reads nothing", user("strangers"), req("get", "stages", "dev"), "viewer"},
		{"other project", user("release-managers"), access.Request{Verb: "get", Resource: "stages", Project: "other", Name: "dev"}, "viewer"},
		{"cluster-wide", user("release-managers"), access.Request{Verb: "create", Resource: "clusterpromotiontasks"}, "system-admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := oidcShop()
			if tt.req.Project != "shop" {
				p = nil
			}
			err := access.Decide(tt.id, tt.req, p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Decide = %v, want allowed", err)
				}
				return
			}
			var d *access.Denied
			if !errors.As(err, &d) {
				t.Fatalf("Decide = %v, want a refusal", err)
			}
			if d.Want != tt.want {
				t.Errorf("refusal names role %q, want %q (%v)", d.Want, tt.want, err)
			}
			msg := err.Error()
			for _, s := range []string{tt.req.Verb, tt.req.Resource, tt.want, "oidc:u1 (u1@example.com)", "rbac.kargo.akuity.io/claim."} {
				if !strings.Contains(msg, s) {
					t.Errorf("refusal %q does not name %q", msg, s)
				}
			}
		})
	}
}

func TestActor(t *testing.T) {
	for want, id := range map[string]access.Identity{
		"token:shop/ci":            {Name: "ci", Project: "shop", Role: "developer"},
		"token:root":               {Name: "root", SystemAdmin: true},
		"oidc:u1 (u1@example.com)": {OIDC: &access.OIDCUser{Subject: "u1", Email: "u1@example.com"}},
		"oidc:CgR1c2VyEgVsb2NhbA":  {OIDC: &access.OIDCUser{Subject: "CgR1c2VyEgVsb2NhbA"}},
	} {
		if got := id.Actor(); got != want {
			t.Errorf("Actor() = %q, want %q", got, want)
		}
	}
}
