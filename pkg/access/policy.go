package access

import (
	"slices"
	"sort"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Policy is the roles one project declares: Roles, RoleBindings and ServiceAccounts. The zero
// Policy (nil too) has the built-in roles only. It is safe for concurrent reads.
type Policy struct {
	project string
	// roles are the declared Roles by name; kargo marks those of Kargo's shape, whose
	// rules go to the ServiceAccount of their name without a binding.
	roles    map[string][]Rule
	kargo    map[string]bool
	accounts map[string]bool
	// bound maps a ServiceAccount to the roles bound to it: Role names, or "ClusterRole/"
	// and a built-in role's name.
	bound map[string][]string
	// claims maps a ServiceAccount (or a Role of Kargo's shape) to the OIDC claims that
	// map users to it.
	claims map[string]Claims
}

// NewPolicy builds the policy of project from its declared access-control resources.
func NewPolicy(project string, accounts []v1.ServiceAccount, roles []v1.Role, bindings []v1.RoleBinding) *Policy {
	p := &Policy{project: project, roles: map[string][]Rule{}, kargo: map[string]bool{}, accounts: map[string]bool{}, bound: map[string][]string{}, claims: map[string]Claims{}}
	for _, a := range accounts {
		p.accounts[a.Metadata.Name] = true
		p.claims[a.Metadata.Name] = p.claims[a.Metadata.Name].merge(ClaimAnnotations(a.Metadata.Annotations))
	}
	for _, r := range roles {
		rules := make([]Rule, 0, len(r.Rules))
		for _, pr := range r.Rules {
			rules = append(rules, Rule{Resources: pr.Resources, Verbs: pr.Verbs, Names: pr.ResourceNames})
		}
		p.roles[r.Metadata.Name] = rules
		if r.APIVersion == v1.KargoRBACVersion {
			p.kargo[r.Metadata.Name] = true
			// Kargo's Role names its users itself, as the claim annotations of the
			// ServiceAccount Kargo makes for it would.
			p.claims[r.Metadata.Name] = p.claims[r.Metadata.Name].merge(Claims{"sub": r.Subs, "email": r.Emails, "groups": r.Groups})
		}
	}
	for _, b := range bindings {
		ref := b.RoleRef.Name
		if b.RoleRef.Kind == "ClusterRole" {
			ref = "ClusterRole/" + ref
		}
		for _, s := range b.Subjects {
			if s.Kind == v1.KindServiceAccount && (s.Namespace == "" || s.Namespace == project) {
				p.bound[s.Name] = append(p.bound[s.Name], ref)
			}
		}
	}
	return p
}

// HasRole reports whether an identity may act as role in the project: a built-in role, a
// declared ServiceAccount, or a Role of Kargo's shape.
func (p *Policy) HasRole(role string) bool {
	if IsBuiltin(role) {
		return true
	}
	return p != nil && (p.accounts[role] || p.kargo[role])
}

// Rules returns what acting as role allows in the project: a built-in role's rules (or
// those of the Role that replaces it), the rules of a Role of Kargo's shape named like it,
// and those of every role bound to it.
func (p *Policy) Rules(role string) []Rule {
	var out []Rule
	if p == nil {
		return builtin[role]
	}
	if own, ok := p.roles[role]; ok && (p.kargo[role] || IsBuiltin(role)) {
		out = append(out, own...)
	} else {
		out = append(out, builtin[role]...)
	}
	for _, ref := range p.bound[role] {
		if name, ok := cutClusterRole(ref); ok {
			out = append(out, builtin[name]...)
			continue
		}
		if rules, ok := p.roles[ref]; ok {
			out = append(out, rules...)
		} else {
			out = append(out, builtin[ref]...)
		}
	}
	return out
}

func cutClusterRole(ref string) (string, bool) {
	const prefix = "ClusterRole/"
	if len(ref) > len(prefix) && ref[:len(prefix)] == prefix {
		return ref[len(prefix):], true
	}
	return "", false
}

// Decide returns nil when id may do req, or a *Denied naming a role that would allow it. p
// is the policy of req.Project.
func Decide(id Identity, req Request, p *Policy) error {
	if id.SystemAdmin {
		return nil
	}
	roles := id.Roles(req.Project, p)
	for _, role := range roles {
		if allows(p.Rules(role), req) {
			return nil
		}
	}
	d := &Denied{Identity: id, Request: req, Want: p.suggest(req)}
	if id.OIDC != nil {
		d.Roles = roles
	}
	return d
}

// Roles returns the roles id acts as in project, whose policy is p: a token's role in its
// own project, or the ServiceAccounts an OIDC user's claims map to. None in other projects
// (a system admin needs none).
func (id Identity) Roles(project string, p *Policy) []string {
	switch {
	case project == "":
		return nil
	case id.OIDC != nil:
		return p.Accounts(id.OIDC.Claims)
	case project == id.Project:
		return []string{id.Role}
	}
	return nil
}

func allows(rules []Rule, req Request) bool {
	return slices.ContainsFunc(rules, func(r Rule) bool { return r.allows(req) })
}

// suggest names a role of the project that allows req, the least powerful first: viewer,
// developer, a declared one, admin, else the system admin.
func (p *Policy) suggest(req Request) string {
	if req.Project == "" {
		return RoleSystemAdmin
	}
	for _, r := range []string{RoleViewer, RoleDeveloper} {
		if allows(p.Rules(r), req) {
			return r
		}
	}
	if p != nil {
		var names []string
		for a := range p.accounts {
			names = append(names, a)
		}
		for r := range p.kargo {
			names = append(names, r)
		}
		sort.Strings(names)
		for _, n := range names {
			if !IsBuiltin(n) && allows(p.Rules(n), req) {
				return n
			}
		}
	}
	if allows(p.Rules(RoleAdmin), req) {
		return RoleAdmin
	}
	return RoleSystemAdmin
}
