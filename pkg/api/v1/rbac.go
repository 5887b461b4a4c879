package v1

import "time"

// API versions of the access-control kinds, read in the shapes Kargo users already have
// (README.md, "Access control").
const (
	// RBACVersion is Kubernetes' RBAC apiVersion, of Role and RoleBinding.
	RBACVersion = "rbac.authorization.k8s.io/v1"
	// KargoRBACVersion is the apiVersion of Kargo's own Role, which carries its subjects
	// (OIDC subs, emails, groups) beside its rules.
	KargoRBACVersion = "rbac.kargo.akuity.io/v1alpha1"
)

// Access-control kinds.
const (
	KindServiceAccount = "ServiceAccount"
	KindRole           = "Role"
	KindRoleBinding    = "RoleBinding"
)

// AnnotationClaimPrefix starts the annotation keys of a ServiceAccount that map OIDC users
// to it, e.g. rbac.kargo.akuity.io/claim.groups: release-managers (a value or a
// comma-separated list). The gateway maps OIDC users to the ServiceAccount by them
// (access.Policy.Accounts).
const AnnotationClaimPrefix = "rbac.kargo.akuity.io/claim."

// ServiceAccount is a role of a project that identities act as: an API token bound to the
// role named like it, and OIDC users whose claims match its
// rbac.kargo.akuity.io/claim.<claim> annotations. Its permissions are those of the Roles
// that RoleBindings bind to it, plus a built-in role's when it has a built-in role's name.
type ServiceAccount struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata"`
}

// Role is a set of rules in a project, in the shape of Kubernetes' Role
// (rbac.authorization.k8s.io/v1) or Kargo's (rbac.kargo.akuity.io/v1alpha1). Kargo's Role is
// a role in one piece: identities acting as the role of its name get its rules, and subs,
// emails and groups name the OIDC users mapped to it. A Role named viewer, developer or admin
// replaces that built-in role's rules in its project.
type Role struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata"`
	// Rules are what the role allows.
	Rules []PolicyRule `json:"rules,omitempty"`
	// KargoManaged is read and ignored (Kargo's Role only).
	KargoManaged bool `json:"kargoManaged,omitempty"`
	// Subs are OIDC subjects mapped to the role (Kargo's Role only).
	Subs []string `json:"subs,omitempty"`
	// Emails are OIDC emails mapped to the role (Kargo's Role only).
	Emails []string `json:"emails,omitempty"`
	// Groups are OIDC groups mapped to the role (Kargo's Role only).
	Groups []string `json:"groups,omitempty"`
}

// PolicyRule allows verbs on resources, as in Kubernetes RBAC. Resources are Kargo's plural
// names (stages, freights, promotions, warehouses, projects, projectconfigs, promotiontasks,
// secrets, configmaps, messagechannels, serviceaccounts, roles, rolebindings) or Dray's
// (tokens); verbs are get, list, watch, create, update, patch, delete, promote and approve,
// or * for all.
type PolicyRule struct {
	// APIGroups is read and ignored: resource names are unique across Dray's groups.
	APIGroups []string `json:"apiGroups,omitempty"`
	// Resources are the plural resource names the rule covers; * covers all.
	Resources []string `json:"resources"`
	// ResourceNames, when set, limit the rule to these names, e.g. promote on Stage prod.
	ResourceNames []string `json:"resourceNames,omitempty"`
	// Verbs are what the rule allows.
	Verbs []string `json:"verbs"`
}

// RoleBinding gives the permissions of a Role (kind Role, in the binding's project) or of a
// built-in role (kind ClusterRole: viewer, developer or admin) to ServiceAccounts of the
// project.
type RoleBinding struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta `json:"metadata"`
	// RoleRef names the role bound.
	RoleRef RoleRef `json:"roleRef"`
	// Subjects are who gets it: ServiceAccounts (User and Group subjects are kept for OIDC).
	Subjects []Subject `json:"subjects,omitempty"`
}

// RoleRef names a Role of the binding's project, or a built-in role as a ClusterRole.
type RoleRef struct {
	// APIGroup is rbac.authorization.k8s.io.
	APIGroup string `json:"apiGroup,omitempty"`
	// Kind is Role or ClusterRole.
	Kind string `json:"kind"`
	// Name is the role's name.
	Name string `json:"name"`
}

// Subject is who a RoleBinding binds: a ServiceAccount (kind ServiceAccount, its name and
// project as namespace), or a User or Group.
type Subject struct {
	// Kind is ServiceAccount, User or Group.
	Kind string `json:"kind"`
	// APIGroup is read and ignored.
	APIGroup string `json:"apiGroup,omitempty"`
	// Name of the subject.
	Name string `json:"name"`
	// Namespace of a ServiceAccount; default the binding's project.
	Namespace string `json:"namespace,omitempty"`
}

// APIToken is an API token as stored in the dray-tokens bucket and listed by the API:
// everything but the token, of which only a hash is kept.
type APIToken struct {
	// Name is the token's name, a DNS-1123 label, unique in its project.
	Name string `json:"name"`
	// Project is the project the token acts in; empty for a system-admin token.
	Project string `json:"project,omitempty"`
	// Role is the role (ServiceAccount) it acts as in Project: viewer, developer, admin or
	// a declared one. Empty for a system-admin token.
	Role string `json:"role,omitempty"`
	// SystemAdmin tokens may do anything in every project.
	SystemAdmin bool `json:"systemAdmin,omitempty"`
	// SHA256 is the hex SHA-256 of the token; never sent by the API.
	SHA256 string `json:"sha256,omitempty"`
	// CreatedAt is when it was made.
	CreatedAt time.Time `json:"createdAt"`
	// CreatedBy is the actor that made it.
	CreatedBy string `json:"createdBy,omitempty"`
	// ExpiresAt, when set, is when it stops working.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// CreateTokenRequest asks the API for a token of a project (or a system-admin token).
type CreateTokenRequest struct {
	// Name of the token, a DNS-1123 label.
	Name string `json:"name"`
	// Role it acts as; required for a project token.
	Role string `json:"role,omitempty"`
	// SystemAdmin asks for a system-admin token (only a system admin may).
	SystemAdmin bool `json:"systemAdmin,omitempty"`
	// ExpiresIn is how long it works, as a Go duration (e.g. 720h); empty for no expiry.
	ExpiresIn string `json:"expiresIn,omitempty"`
}

// CreateTokenResponse carries the token, shown once.
type CreateTokenResponse struct {
	APIToken `json:",inline"`
	// Token is the secret to send as Authorization: Bearer <token>.
	Token string `json:"token"`
}

// WhoAmI is the identity a request was authenticated as.
type WhoAmI struct {
	// Actor is what Dray records as the actor of the identity's requests, e.g. token:shop/ci.
	Actor string `json:"actor"`
	// Project is the token's project; empty for a system admin.
	Project string `json:"project,omitempty"`
	// Role is the token's role.
	Role string `json:"role,omitempty"`
	// SystemAdmin is true for a system-admin token.
	SystemAdmin bool `json:"systemAdmin,omitempty"`
}

// OIDCConfig is what GET /auth/config tells dray login about the gateway's OIDC provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, where discovery starts.
	Issuer string `json:"issuer"`
	// ClientID is the public client dray login signs in with (PKCE, no secret).
	ClientID string `json:"clientID"`
	// Scopes are the scopes to ask for.
	Scopes []string `json:"scopes"`
}
