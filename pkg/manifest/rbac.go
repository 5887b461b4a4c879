package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
)

// serviceAccount checks a role's claim annotations: each names a claim.
func (c *checker) serviceAccount(sa *v1.ServiceAccount) {
	for k, v := range sa.Metadata.Annotations {
		claim, ok := strings.CutPrefix(k, v1.AnnotationClaimPrefix)
		if !ok {
			continue
		}
		p := "metadata.annotations." + k
		if claim == "" {
			c.add(p, "names no claim: write "+v1.AnnotationClaimPrefix+"<claim>, e.g. "+v1.AnnotationClaimPrefix+"groups")
		}
		if strings.TrimSpace(v) == "" {
			c.add(p, "must list at least one claim value (comma-separated)")
		}
	}
}

// role checks a Role's rules name known resources and verbs, and that only Kargo's shape
// carries subjects.
func (c *checker) role(r *v1.Role) {
	if r.APIVersion == v1.RBACVersion && len(r.Subs)+len(r.Emails)+len(r.Groups) > 0 {
		c.add("apiVersion", "subs, emails and groups belong to Kargo's Role: write apiVersion "+v1.KargoRBACVersion+", or bind the role with a RoleBinding")
	}
	for i, rule := range r.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if len(rule.Resources) == 0 {
			c.add(p+".resources", "must list at least one resource, or *")
		}
		if len(rule.Verbs) == 0 {
			c.add(p+".verbs", "must list at least one verb, or *")
		}
		for j, res := range rule.Resources {
			base, _, _ := strings.Cut(strings.ToLower(res), "/")
			if base != "*" && base != "freight" && !slices.Contains(access.Resources, base) {
				c.add(fmt.Sprintf("%s.resources[%d]", p, j), fmt.Sprintf("unknown resource %q; want one of %s, or *", res, strings.Join(access.Resources, ", ")))
			}
		}
		for j, verb := range rule.Verbs {
			if verb != "*" && !slices.Contains(access.Verbs, verb) {
				c.add(fmt.Sprintf("%s.verbs[%d]", p, j), fmt.Sprintf("unknown verb %q; want one of %s, or *", verb, strings.Join(access.Verbs, ", ")))
			}
		}
		for j, n := range rule.ResourceNames {
			if names.Object(n) != nil {
				c.add(fmt.Sprintf("%s.resourceNames[%d]", p, j), fmt.Sprintf("%q is not a DNS-1123 subdomain", n))
			}
		}
	}
}

// roleBinding checks the role it binds and its subjects.
func (c *checker) roleBinding(b *v1.RoleBinding) {
	switch b.RoleRef.Kind {
	case v1.KindRole:
		if names.Object(b.RoleRef.Name) != nil {
			c.add("roleRef.name", fmt.Sprintf("%q is not a DNS-1123 subdomain", b.RoleRef.Name))
		}
	case "ClusterRole":
		if !access.IsBuiltin(b.RoleRef.Name) {
			c.add("roleRef.name", fmt.Sprintf("ClusterRole %q is not a built-in role; want viewer, developer or admin, or bind a Role of the project", b.RoleRef.Name))
		}
	default:
		c.add("roleRef.kind", fmt.Sprintf("got %q, want Role or ClusterRole", b.RoleRef.Kind))
	}
	if len(b.Subjects) == 0 {
		c.add("subjects", "must list at least one subject")
	}
	for i, s := range b.Subjects {
		p := fmt.Sprintf("subjects[%d]", i)
		switch s.Kind {
		case v1.KindServiceAccount, "User", "Group":
		default:
			c.add(p+".kind", fmt.Sprintf("got %q, want ServiceAccount, User or Group", s.Kind))
		}
		if s.Name == "" {
			c.add(p+".name", "is required")
		}
		if s.Kind == v1.KindServiceAccount && s.Namespace != "" && s.Namespace != b.Metadata.Namespace {
			c.add(p+".namespace", fmt.Sprintf("%q: a RoleBinding binds ServiceAccounts of its own project %q", s.Namespace, b.Metadata.Namespace))
		}
	}
}
