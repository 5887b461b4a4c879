package access_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// shop declares what the README's "Access control" section shows: developers promote every
// Stage but prod, and release-managers promote and approve prod.
func shop() *access.Policy {
	return access.NewPolicy("shop",
		[]v1.ServiceAccount{{Metadata: v1.ObjectMeta{Name: "release-managers", Namespace: "shop"}}},
		[]v1.Role{
			{TypeMeta: v1.TypeMeta{APIVersion: v1.RBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "developer", Namespace: "shop"},
				Rules: []v1.PolicyRule{
					{Resources: []string{"*"}, Verbs: []string{"get", "list"}},
					{Resources: []string{"stages"}, ResourceNames: []string{"dev", "staging"}, Verbs: []string{"promote"}},
				}},
			{TypeMeta: v1.TypeMeta{APIVersion: v1.RBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "prod-promoter", Namespace: "shop"},
				Rules: []v1.PolicyRule{{Resources: []string{"stages"}, ResourceNames: []string{"prod"}, Verbs: []string{"promote", "approve"}}}},
			{TypeMeta: v1.TypeMeta{APIVersion: v1.KargoRBACVersion, Kind: v1.KindRole}, Metadata: v1.ObjectMeta{Name: "auditor", Namespace: "shop"},
				Rules: []v1.PolicyRule{{Resources: []string{"promotions"}, Verbs: []string{"list"}}}},
		},
		[]v1.RoleBinding{
			{Metadata: v1.ObjectMeta{Name: "rm-prod", Namespace: "shop"}, RoleRef: v1.RoleRef{Kind: "Role", Name: "prod-promoter"},
				Subjects: []v1.Subject{{Kind: v1.KindServiceAccount, Name: "release-managers"}}},
			{Metadata: v1.ObjectMeta{Name: "rm-view", Namespace: "shop"}, RoleRef: v1.RoleRef{Kind: "ClusterRole", Name: "viewer"},
				Subjects: []v1.Subject{{Kind: v1.KindServiceAccount, Name: "release-managers", Namespace: "shop"}}},
		})
}

func TestDecide(t *testing.T) {
	tok := func(project, role string) access.Identity {
		return access.Identity{Name: "t", Project: project, Role: role}
	}
	req := func(verb, resource, name string) access.Request {
		return access.Request{Verb: verb, Resource: resource, Project: "shop", Name: name}
	}
	tests := []struct {
		name   string
		policy *access.Policy
		id     access.Identity
		req    access.Request
		want   string // "" allowed, else the role the refusal names
	}{
		{"viewer reads", nil, tok("shop", "viewer"), req("list", "stages", ""), ""},
		{"viewer lists secrets without values", nil, tok("shop", "viewer"), req("list", "secrets", ""), ""},
		{"viewer may not promote", nil, tok("shop", "viewer"), req("promote", "stages", "prod"), "developer"},
		{"viewer may not abort", nil, tok("shop", "viewer"), req("update", "promotions", "p1"), "developer"},
		{"developer promotes any stage", nil, tok("shop", "developer"), req("promote", "stages", "prod"), ""},
		{"developer may not approve", nil, tok("shop", "developer"), req("approve", "stages", "prod"), "admin"},
		{"developer may not write secrets", nil, tok("shop", "developer"), req("create", "secrets", "s"), "admin"},
		{"developer may not make tokens", nil, tok("shop", "developer"), req("create", "tokens", ""), "admin"},
		{"admin approves", nil, tok("shop", "admin"), req("approve", "stages", "prod"), ""},
		{"other project's admin", nil, tok("other", "admin"), req("get", "stages", "dev"), "viewer"},
		{"system admin", nil, access.Identity{Name: "root", SystemAdmin: true}, req("create", "tokens", ""), ""},
		{"cluster-wide needs system admin", nil, tok("shop", "admin"), access.Request{Verb: "create", Resource: "clusterpromotiontasks"}, "system-admin"},
		{"replaced developer promotes dev", shop(), tok("shop", "developer"), req("promote", "stages", "dev"), ""},
		{"replaced developer refused prod", shop(), tok("shop", "developer"), req("promote", "stages", "prod"), "release-managers"},
		{"bound role promotes prod", shop(), tok("shop", "release-managers"), req("promote", "stages", "prod"), ""},
		{"bound role approves prod", shop(), tok("shop", "release-managers"), req("approve", "stages", "prod"), ""},
		{"bound role limited to prod", shop(), tok("shop", "release-managers"), req("promote", "stages", "dev"), "developer"},
		{"bound ClusterRole reads", shop(), tok("shop", "release-managers"), req("get", "freights", "f"), ""},
		{"names refuse a list", shop(), tok("shop", "release-managers"), req("create", "stages", ""), "admin"},
		{"any name before the body", shop(), tok("shop", "release-managers"), access.Request{Verb: "promote", Resource: "stages", Project: "shop", AnyName: true}, ""},
		{"kargo role acts by its name", shop(), tok("shop", "auditor"), req("list", "promotions", ""), ""},
		{"kargo role nothing more", shop(), tok("shop", "auditor"), req("list", "stages", ""), "viewer"},
		{"viewer may not read the audit trail", nil, tok("shop", "viewer"), req("list", "auditrecords", ""), "admin"},
		{"developer may not read the audit trail", nil, tok("shop", "developer"), req("list", "auditrecords", ""), "admin"},
		{"admin reads the audit trail", nil, tok("shop", "admin"), req("list", "auditrecords", ""), ""},
		{"other project's admin may not read the trail", nil, tok("other", "admin"), req("list", "auditrecords", ""), "admin"},
		{"every project's trail needs system admin", nil, tok("shop", "admin"), access.Request{Verb: "list", Resource: "auditrecords"}, "system-admin"},
		{"read-everything role does not reach the trail", shop(), tok("shop", "developer"), req("list", "auditrecords", ""), "admin"},
		{"a rule naming the trail grants it", access.NewPolicy("shop", nil, []v1.Role{{TypeMeta: v1.TypeMeta{APIVersion: v1.KargoRBACVersion}, Metadata: v1.ObjectMeta{Name: "auditor"},
			Rules: []v1.PolicyRule{{Resources: []string{"auditrecords"}, Verbs: []string{"list"}}}}}, nil), tok("shop", "auditor"), req("list", "auditrecords", ""), ""},
		{"freight singular and patch", access.NewPolicy("shop", nil, []v1.Role{{TypeMeta: v1.TypeMeta{APIVersion: v1.KargoRBACVersion}, Metadata: v1.ObjectMeta{Name: "x"},
			Rules: []v1.PolicyRule{{Resources: []string{"freight/status"}, Verbs: []string{"patch"}}}}}, nil), tok("shop", "x"), req("update", "freights", "f"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := access.Decide(tt.id, tt.req, tt.policy)
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
			if msg := err.Error(); !strings.Contains(msg, tt.req.Verb) || !strings.Contains(msg, tt.req.Resource) || !strings.Contains(msg, tt.want) {
				t.Errorf("refusal %q does not name the verb, the resource and the role", msg)
			}
		})
	}
}

func TestHasRole(t *testing.T) {
	p := shop()
	for role, want := range map[string]bool{"viewer": true, "admin": true, "release-managers": true, "auditor": true, "prod-promoter": false, "nobody": false} {
		if got := p.HasRole(role); got != want {
			t.Errorf("HasRole(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestApplyAndAnyResource(t *testing.T) {
	dev := access.Identity{Name: "d", Project: "shop", Role: "developer"}
	viewer := access.Identity{Name: "v", Project: "shop", Role: "viewer"}
	anyRes := access.Request{Verb: access.VerbApply, Project: "shop", AnyName: true}
	if err := access.Decide(dev, anyRes, nil); err != nil {
		t.Errorf("developer may apply something: %v", err)
	}
	if err := access.Decide(viewer, anyRes, nil); err == nil {
		t.Error("viewer may apply something, want refused")
	}
	for kind, want := range map[string]bool{"Stage": true, "Freight": true, "Secret": false, "RoleBinding": false} {
		req := access.Request{Verb: access.VerbApply, Resource: access.ResourceOf(kind), Project: "shop", Name: "x"}
		if got := access.Decide(dev, req, nil) == nil; got != want {
			t.Errorf("developer applies a %s: %v, want %v", kind, got, want)
		}
	}
}
