package access

import (
	"fmt"
	"slices"
	"strings"
)

// Verbs Dray checks. The Kubernetes verbs keep their meaning; promote and approve are
// Kargo's verbs on Stages (approve on Freight too).
const (
	VerbGet     = "get"
	VerbList    = "list"
	VerbCreate  = "create"
	VerbUpdate  = "update"
	VerbDelete  = "delete"
	VerbPromote = "promote"
	VerbApprove = "approve"
	// VerbApply is what dray apply asks for each resource: a rule's create, update or patch
	// grants it.
	VerbApply = "apply"
)

// Resources Dray checks, by their Kargo plural names (tokens is Dray's own).
const (
	ResourceProjects        = "projects"
	ResourceProjectConfigs  = "projectconfigs"
	ResourceWarehouses      = "warehouses"
	ResourceStages          = "stages"
	ResourceFreight         = "freights"
	ResourcePromotions      = "promotions"
	ResourcePromotionTasks  = "promotiontasks"
	ResourceSecrets         = "secrets"
	ResourceConfigMaps      = "configmaps"
	ResourceMessageChannels = "messagechannels"
	ResourceEventRouters    = "eventrouters"
	ResourceServiceAccounts = "serviceaccounts"
	ResourceRoles           = "roles"
	ResourceRoleBindings    = "rolebindings"
	ResourceTokens          = "tokens"
	ResourceEvents          = "events"
	ResourceMetrics         = "metrics"
	// ResourceAuditRecords is the audit trail (Dray's own): listing it needs a rule that
	// names it, or one allowing every verb (a project admin's); a rule of every resource
	// with read verbs only (the viewer's and developer's) does not reach it.
	ResourceAuditRecords = "auditrecords"
)

// Built-in role names.
const (
	RoleViewer    = "viewer"
	RoleDeveloper = "developer"
	RoleAdmin     = "admin"
	// RoleSystemAdmin is the role of system-admin tokens: everything, in every project.
	RoleSystemAdmin = "system-admin"
)

// Verbs lists every verb a rule may name (besides *), for manifest checks.
var Verbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", VerbPromote, VerbApprove}

// Resources lists every resource a rule may name (besides *), for manifest checks. The
// singular and /status forms Kargo users sometimes write are accepted by Match.
var Resources = []string{
	ResourceProjects, ResourceProjectConfigs, ResourceWarehouses, ResourceStages, ResourceFreight,
	ResourcePromotions, ResourcePromotionTasks, ResourceSecrets, ResourceConfigMaps,
	ResourceMessageChannels, ResourceEventRouters, ResourceServiceAccounts, ResourceRoles, ResourceRoleBindings,
	ResourceTokens, ResourceEvents, ResourceAuditRecords, "clusterpromotiontasks", "clustermessagechannels",
}

// Rule allows Verbs on Resources, limited to Names when set.
type Rule struct {
	Resources []string
	Verbs     []string
	Names     []string
}

// Request is one thing an identity asks to do: a verb on a resource of a project, by name
// (empty for a list or a create whose name is not known yet).
type Request struct {
	Verb     string
	Resource string
	Project  string
	Name     string
	// AnyName asks whether the verb is allowed on some resource of the kind (of any kind
	// when Resource is empty): the gateway's first check of a route whose names are in the
	// request body, before it reads the body.
	AnyName bool
}

func (r Request) String() string {
	s := r.Verb + " " + r.Resource
	if r.Name != "" {
		s += "/" + r.Name
	}
	if r.Project != "" {
		s += " in project " + r.Project
	}
	return s
}

// allows reports whether the rule allows the request. A rule limited to names allows
// nothing without a name, as in Kubernetes.
func (rl Rule) allows(req Request) bool {
	if !slices.Contains(rl.Verbs, "*") && !slices.ContainsFunc(rl.Verbs, func(v string) bool { return verbGrants(v, req.Verb) }) {
		return false
	}
	anyResource := req.Resource == "" && req.AnyName
	named := slices.ContainsFunc(rl.Resources, func(r string) bool { return resourceName(r) == req.Resource })
	wildcard := slices.Contains(rl.Resources, "*") && (!explicitOnly[req.Resource] || slices.Contains(rl.Verbs, "*"))
	if !anyResource && !wildcard && !named {
		return false
	}
	if len(rl.Names) == 0 {
		return true
	}
	return req.AnyName || req.Name != "" && slices.Contains(rl.Names, req.Name)
}

// explicitOnly are resources a rule of every resource ("*") reaches only with every verb too:
// who did what is for admins, not for every reader.
var explicitOnly = map[string]bool{ResourceAuditRecords: true}

// verbGrants reports whether a rule's verb grants the requested one: patch grants update,
// and create, update or patch grant apply.
func verbGrants(have, want string) bool {
	switch {
	case have == want:
		return true
	case have == "patch" && want == VerbUpdate:
		return true
	case want == VerbApply:
		return have == VerbCreate || have == VerbUpdate || have == "patch"
	}
	return false
}

// resourceName normalizes the forms Kargo users write: freight and freights, stages/status.
func resourceName(r string) string {
	r, _, _ = strings.Cut(strings.ToLower(r), "/")
	switch r {
	case "freight":
		return ResourceFreight
	}
	return r
}

// readOnly is everything but changes: the viewer's rules.
var readOnly = []Rule{{Resources: []string{"*"}, Verbs: []string{VerbGet, VerbList, "watch"}}}

// developerWrites are what a developer changes beyond reading: the pipeline's resources,
// promotions, and Kargo's promote verb on every Stage.
var developerWrites = []Rule{
	{Resources: []string{ResourceWarehouses, ResourceStages, ResourceFreight, ResourcePromotions, ResourcePromotionTasks,
		ResourceConfigMaps, ResourceMessageChannels, ResourceEventRouters, ResourceProjectConfigs}, Verbs: []string{VerbCreate, VerbUpdate, "patch", VerbDelete}},
	{Resources: []string{ResourceStages}, Verbs: []string{VerbPromote}},
}

// builtin holds the rules of the built-in project roles. A project may replace any of them
// by declaring a Role of the same name.
var builtin = map[string][]Rule{
	RoleViewer:    readOnly,
	RoleDeveloper: slices.Concat(readOnly, developerWrites),
	RoleAdmin:     {{Resources: []string{"*"}, Verbs: []string{"*"}}},
}

// IsBuiltin reports whether role is a built-in project role.
func IsBuiltin(role string) bool { return builtin[role] != nil }

// Identity is who a request comes from, as authentication established it.
type Identity struct {
	// Name is the token's name.
	Name string
	// Project is the project a token acts in; empty for a system admin.
	Project string
	// Role is the role (ServiceAccount) it acts as in Project.
	Role string
	// SystemAdmin may do anything anywhere.
	SystemAdmin bool
	// OIDC is set for a user signed in with OIDC (Name, Project and Role are then empty):
	// in each project the user acts as every ServiceAccount its claims map to.
	OIDC *OIDCUser
}

// Actor is what Dray records as the identity's actor: token:<project>/<name>, token:<name>
// for a system admin, or oidc:<sub> (<email>) for an OIDC user (without the email when the
// provider sent none).
func (id Identity) Actor() string {
	if id.OIDC != nil {
		if id.OIDC.Email != "" {
			return "oidc:" + id.OIDC.Subject + " (" + id.OIDC.Email + ")"
		}
		return "oidc:" + id.OIDC.Subject
	}
	if id.SystemAdmin {
		return "token:" + id.Name
	}
	return "token:" + id.Project + "/" + id.Name
}

// Denied is why a request was refused: the request and a role that would allow it.
type Denied struct {
	Identity Identity
	Request  Request
	// Want is a role of the project that would allow the request, or system-admin.
	Want string
	// Roles are the roles an OIDC user acts as in the request's project.
	Roles []string
}

func (d *Denied) Error() string {
	if d.Identity.OIDC != nil {
		return d.oidcError()
	}
	who := d.Identity.Actor()
	if !d.Identity.SystemAdmin {
		who += " (role " + d.Identity.Role + ")"
		if d.Request.Project != d.Identity.Project {
			who += ", a token of project " + d.Identity.Project + ","
		}
	}
	verb := d.Request.Verb
	if verb == VerbApply {
		verb = "create or update"
	}
	return fmt.Sprintf("%s may not %s: it needs the %s role (ask an admin of the project for a token with --role %s, or for a RoleBinding that grants %s on %s)",
		who, d.Request, d.Want, d.Want, verb, d.Request.Resource)
}

// oidcError says what an OIDC user was refused, the ServiceAccounts its claims map to, and
// how an admin of the project would give it the role that allows the request.
func (d *Denied) oidcError() string {
	as := "whose claims map to no ServiceAccount of project " + d.Request.Project
	if len(d.Roles) > 0 {
		as = "acting as " + strings.Join(d.Roles, ", ") + " in project " + d.Request.Project
	}
	if d.Request.Project == "" {
		as = "not a system admin"
	}
	return fmt.Sprintf("%s (%s) may not %s: it needs the %s role (ask an admin of the project to add your claim to the %s<claim> annotation of ServiceAccount %s, or for a RoleBinding that grants %s on %s to a ServiceAccount you map to)",
		d.Identity.Actor(), as, d.Request, d.Want, claimPrefix, d.Want, d.Request.Verb, d.Request.Resource)
}

// ResourceOf is the resource name of a manifest kind, e.g. stages for Stage.
func ResourceOf(kind string) string {
	switch kind {
	case "Freight":
		return ResourceFreight
	}
	return strings.ToLower(kind) + "s"
}

// CommandAccess is the check a command of the bus passes, as the API route that publishes it
// does: its verb, resource, and the field of its body that names the resource.
type CommandAccess struct {
	Command, Verb, Resource, NameField string
}

// Commands are the checks of the commands outside systems may publish (wake is the
// gateway's own).
var Commands = []CommandAccess{
	{"promote", VerbPromote, ResourceStages, "stage"},
	{"approve", VerbApprove, ResourceStages, "stage"},
	{"verify", VerbUpdate, ResourceStages, "stage"},
	{"pause", VerbUpdate, ResourceStages, "stage"},
	{"resume", VerbUpdate, ResourceStages, "stage"},
	{"abort", VerbUpdate, ResourcePromotions, "promotion"},
	{"refresh", VerbUpdate, ResourceWarehouses, "warehouse"},
}

// CommandOf returns the check of a command verb.
func CommandOf(command string) (CommandAccess, bool) {
	for _, c := range Commands {
		if c.Command == command {
			return c, true
		}
	}
	return CommandAccess{}, false
}
