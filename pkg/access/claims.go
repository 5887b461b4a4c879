package access

import (
	"slices"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

const claimPrefix = v1.AnnotationClaimPrefix

// OIDCUser is a user signed in with OIDC, as the gateway verified its ID token.
type OIDCUser struct {
	// Subject is the token's sub claim.
	Subject string
	// Email is its email claim, when the provider sent one.
	Email string
	// Claims are the claims roles are mapped from (sub, email, groups, or others the
	// gateway was told to read).
	Claims Claims
}

// Claims are OIDC claims by name, each with its values: a string claim has one value, a
// list claim (groups) each of its items.
type Claims map[string][]string

// ClaimAnnotations reads the rbac.kargo.akuity.io/claim.<claim> annotations of a
// ServiceAccount, as Kargo does: each claim with the values of its comma-separated list,
// spaces trimmed and empty items dropped. Other annotations are ignored.
func ClaimAnnotations(annotations map[string]string) Claims {
	out := Claims{}
	for k, v := range annotations {
		name, ok := strings.CutPrefix(k, claimPrefix)
		if !ok || name == "" {
			continue
		}
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out[name] = append(out[name], item)
			}
		}
	}
	return out
}

// Matches reports whether c matches want, as Kargo maps a user to a ServiceAccount: some
// claim named in want has, in c, one of the values want lists. Claims match by exact,
// case-sensitive value; an empty want matches nothing.
func (c Claims) Matches(want Claims) bool {
	for name, values := range want {
		if slices.ContainsFunc(c[name], func(v string) bool { return slices.Contains(values, v) }) {
			return true
		}
	}
	return false
}

// merge returns c with the values of o added.
func (c Claims) merge(o Claims) Claims {
	if c == nil {
		c = Claims{}
	}
	for name, values := range o {
		if len(values) > 0 {
			c[name] = append(c[name], values...)
		}
	}
	return c
}

// Accounts returns, sorted, the roles of the project an OIDC user with claims c acts as: the
// ServiceAccounts whose claim annotations match c, and the Roles of Kargo's shape whose
// subs, emails or groups do. A nil Policy maps nobody.
func (p *Policy) Accounts(c Claims) []string {
	if p == nil {
		return nil
	}
	var out []string
	for name, want := range p.claims {
		if c.Matches(want) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
