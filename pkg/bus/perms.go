package bus

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
)

// Roles of NATS users. Each Dray service connects as its own user, whose permissions
// (Permissions) allow only its subjects and the JetStream API calls it makes; see
// pkg/bus/README.md "Who may do what on the bus".
const (
	RoleGateway   = "gateway"
	RoleScheduler = "scheduler"
	RoleState     = "state"
	RoleWarehouse = "warehouse"
	// RoleArgoCDHealth watches Argo CD health; dray up runs it on a connection of its own,
	// the external layout inside executor-argocd (whose role includes it).
	RoleArgoCDHealth = "argocd-health"
	// RoleAdmin may do everything: people operating the bus (nats stream view DRAY_DEAD)
	// and the one who changes the layout's configuration (Declare updates streams).
	RoleAdmin = "admin"
	// RoleSystem is the gateway's second user, in NATS's system account (SystemAccount): it
	// disconnects the connections of a revoked, deleted or expired API token
	// ($SYS.REQ.SERVER.<id>.KICK, pkg/callout) and may do nothing else. dray up needs none:
	// it disconnects them in process.
	RoleSystem = "system"
)

// KickSubject is where the nats-server whose ID is server disconnects a client when the
// system account asks ({"cid": <client id>}).
func KickSubject(server string) string { return "$SYS.REQ.SERVER." + server + ".KICK" }

// executorRolePrefix and projectRolePrefix start the roles of executors and outside clients.
const (
	executorRolePrefix = "executor-"
	projectRolePrefix  = "project-"
)

// BuiltinExecutors are the executors Dray ships, whose steps read repository, registry and
// Argo CD credentials from dray-secrets through pkg/secret (so their users may read that
// bucket; an executor of another kind may not).
var BuiltinExecutors = []string{"git", "config", "argocd", "http", "container"}

// ExecutorRole is the role of the executor of a kind, e.g. executor-git.
func ExecutorRole(kind string) string { return executorRolePrefix + kind }

// ProjectRole is the role of an outside client of a project (a CI system that triggers
// promotions): it may publish the project's commands and subscribe to its events, nothing else.
func ProjectRole(project string) string { return projectRolePrefix + project }

// InboxPrefix is the reply-subject prefix of a role's connections (nats.CustomInboxPrefix):
// each role may subscribe only to its own inboxes, so no user reads another's replies.
func InboxPrefix(role string) string { return "_INBOX." + role }

// Permissions are the subjects a role may publish and subscribe to; nothing else is allowed.
type Permissions struct {
	Role      string
	Publish   []string
	Subscribe []string
	// Why says in a few words what the role does; Sends, Gets and JetStream say what the
	// subjects allow, in the words of the README table.
	Why                    string
	Sends, Gets, JetStream []string
	// Responses lets the role answer the requests it receives (NATS allow_responses): the
	// gateway answers the server's auth callout requests on the server's own inboxes.
	Responses bool
}

// AuthCalloutSubject is where nats-server asks who a client without a configured user is
// (NATS auth callout); the gateway answers (pkg/callout).
const AuthCalloutSubject = "$SYS.REQ.USER.AUTH"

// layoutStreams are the JetStream streams behind every stream, bucket and store of the layout.
func layoutStreams() []string {
	s := []string{StreamEvents, StreamCommands, StreamSteps, StreamResults, StreamAudit, StreamDead}
	for _, b := range []string{BucketResources, BucketFreight, BucketPromotions, BucketStages,
		BucketWarehouses, BucketSecrets, BucketTokens, BucketLocks, BucketNotifications} {
		s = append(s, "KV_"+b)
	}
	return append(s, "OBJ_"+ObjectWorkspaces)
}

// grant collects a role's permissions.
// pub and sub are the subjects; sends, gets and js say the same in words, for the README.
type grant struct {
	pub, sub        []string
	sends, gets, js []string
	responses       bool
}

func (g *grant) publish(s ...string) { g.pub = append(g.pub, s...) }

// send and receive grant subjects of the layout a role publishes or subscribes to itself.
func (g *grant) send(s ...string) {
	g.publish(s...)
	g.sends = append(g.sends, s...)
}

func (g *grant) receive(s ...string) {
	g.sub = append(g.sub, s...)
	g.gets = append(g.gets, s...)
}

// base is what every service needs: its inbox, and to open (and create if missing — an
// identical create changes nothing) the layout. Updating the layout's configuration is the
// admin's: an update may add sources to a stream, which would let a user read another.
func (g *grant) base(role string) {
	g.sub = append(g.sub, InboxPrefix(role)+".>")
	g.publish("$JS.API.INFO")
	for _, s := range layoutStreams() {
		g.publish("$JS.API.STREAM.INFO."+s, "$JS.API.STREAM.CREATE."+s)
	}
}

// consume lets the role run the durable consumer of a stream: create it, pull, ack, and
// dead-letter what it cannot handle.
func (g *grant) consume(stream, durable string) {
	g.js = append(g.js, "consume "+stream+" as "+durable)
	g.publish("$JS.API.CONSUMER.CREATE."+stream+"."+durable, "$JS.API.CONSUMER.CREATE."+stream+"."+durable+".>",
		"$JS.API.CONSUMER.INFO."+stream+"."+durable, "$JS.API.CONSUMER.MSG.NEXT."+stream+"."+durable,
		"$JS.ACK."+stream+"."+durable+".>", DeadSubject(stream, durable))
}

// read lets the role get, list and watch a bucket's (or store's) stream: direct and leader
// gets, and ephemeral consumers of its own.
func (g *grant) read(stream string) {
	g.publish("$JS.API.DIRECT.GET."+stream, "$JS.API.DIRECT.GET."+stream+".>", "$JS.API.STREAM.MSG.GET."+stream,
		"$JS.API.CONSUMER.CREATE."+stream, "$JS.API.CONSUMER.CREATE."+stream+".>",
		"$JS.API.CONSUMER.INFO."+stream+".>", "$JS.API.CONSUMER.DELETE."+stream+".>",
		"$JS.API.CONSUMER.MSG.NEXT."+stream+".>", "$JS.FC."+stream+".>", "$JS.ACK."+stream+".>")
}

// readKV and writeKV grant a KV bucket; a writer reads too (compare-and-set reads first).
func (g *grant) readKV(buckets ...string) {
	for _, b := range buckets {
		g.read("KV_" + b)
		g.js = append(g.js, "read "+b)
	}
}

func (g *grant) writeKV(buckets ...string) {
	for _, b := range buckets {
		g.read("KV_" + b)
		g.publish("$KV." + b + ".>")
		g.js = append(g.js, "write "+b)
	}
}

// workspaces grants the object store: put, get, and delete (a purge of an object's chunks).
func (g *grant) workspaces() {
	g.read("OBJ_" + ObjectWorkspaces)
	g.js = append(g.js, "put, get and delete "+ObjectWorkspaces)
	g.publish("$O."+ObjectWorkspaces+".>", "$JS.API.STREAM.PURGE.OBJ_"+ObjectWorkspaces)
}

// Permissions of a role: gateway, system, scheduler, state, warehouse, argocd-health, admin,
// executor-<kind> or project-<project>. An unknown role is an error, so a typo grants nothing.
func PermissionsOf(role string) (Permissions, error) {
	var g grant
	var why string
	switch {
	case role == RoleAdmin:
		return Permissions{Role: role, Publish: []string{">"}, Subscribe: []string{">"},
			Why:   "everything: people operating the bus, changing the layout's configuration",
			Sends: []string{">"}, Gets: []string{">"}, JetStream: []string{"everything"}}, nil
	case role == RoleSystem:
		kick := KickSubject("*")
		return Permissions{Role: role, Publish: []string{kick}, Subscribe: []string{InboxPrefix(role) + ".>"},
			Why:   "the gateway's user in NATS's system account: disconnects the connections of a revoked, deleted or expired API token at once",
			Sends: []string{kick}}, nil
	case role == RoleGateway:
		why = "API: applies and deletes resources, Secrets and tokens, publishes commands, events and audit records, and a deleted Stage's record"
		g.base(role)
		g.send("dray.cmd.*.*", "dray.events.>", "dray.audit.>")
		g.send("dray.results.*.stage") // StageDelete: the state service cleans up after a deleted Stage
		g.writeKV(BucketResources, BucketFreight, BucketSecrets, BucketTokens)
		g.readKV(BucketPromotions, BucketStages, BucketWarehouses)
		g.read(StreamAudit)
		g.js = append(g.js, "read "+StreamAudit)
		g.receive("dray.events.>", AuthCalloutSubject)
		g.responses = true
	case role == RoleScheduler:
		why = "turns commands and events into Promotions and step jobs, authorizing the commands of tokens; seals a job's secrets"
		g.base(role)
		g.consume(StreamCommands, "scheduler-commands")
		for _, d := range []string{"scheduler-pipeline", "scheduler-promotions", "scheduler-health"} {
			g.consume(StreamEvents, d)
		}
		g.send("dray.steps.>", "dray.results.*.step", "dray.results.*.promotion", "dray.results.*.freight", "dray.results.*.stage",
			"dray.events.>", "dray.audit.>")
		g.readKV(BucketResources, BucketFreight, BucketPromotions, BucketStages, BucketWarehouses, BucketSecrets)
		g.readKV(BucketTokens) // authorizes the commands tokens send
	case role == RoleState:
		why = "records results: the only writer of Promotions, and of Stage status but its health; deletes workspaces"
		g.base(role)
		g.consume(StreamResults, "state")
		g.send("dray.events.>")
		g.writeKV(BucketPromotions, BucketStages, BucketFreight)
		g.readKV(BucketResources)
		g.workspaces()
	case role == RoleWarehouse:
		why = "discovers Freight (reads repository credentials), handles refresh commands"
		g.base(role)
		g.consume(StreamCommands, "warehouse-refresh")
		g.send("dray.events.>", "dray.audit.>")
		g.writeKV(BucketWarehouses, BucketFreight)
		g.readKV(BucketResources, BucketSecrets)
	case role == RoleArgoCDHealth:
		why = "watches Argo CD health of Stages and records it in their status (reads Argo CD credentials)"
		g.argocdHealth(role)
	case strings.HasPrefix(role, executorRolePrefix):
		kind := strings.TrimPrefix(role, executorRolePrefix)
		if err := names.Project(kind); err != nil { // a DNS label: one subject token
			return Permissions{}, fmt.Errorf("NATS role %q: executor kind: %w", role, err)
		}
		why = "runs the steps of dray.steps." + kind + ".>"
		g.base(role)
		g.consume(StreamSteps, "executor-"+kind)
		g.send("dray.results.*.step")
		g.receive("dray.events.*.promotion.*") // aborts, and promotions that ended
		g.readKV(BucketResources, BucketFreight, BucketPromotions)
		g.workspaces()
		if slices.Contains(BuiltinExecutors, kind) {
			why += "; reads credentials from dray-secrets"
			g.readKV(BucketSecrets)
		}
		switch kind {
		case "http":
			// EventRouters: route the events, record deliveries, announce failures.
			why += "; delivers the events EventRouters route (" + NotifyDurable + ")"
			g.consume(StreamEvents, NotifyDurable)
			g.writeKV(BucketNotifications)
			g.send(EventSubject("*", v1.TypeNotificationFailed))
		case "git":
			g.writeKV(BucketLocks) // push leases
		case "argocd":
			g.argocdHealth(role) // the external executor-argocd runs the health watch too
		}
	case strings.HasPrefix(role, projectRolePrefix):
		project := strings.TrimPrefix(role, projectRolePrefix)
		if err := names.Project(project); err != nil {
			return Permissions{}, fmt.Errorf("NATS role %q: project: %w", role, err)
		}
		cmds := CommandSubjectAs(project, "*", NKeyIdentity)
		return Permissions{Role: role,
			Publish:   []string{cmds},
			Subscribe: []string{"dray.events." + project + ".>", InboxPrefix(role) + ".>"},
			Why:       "outside client of a project (CI), an nkey of dray nats config: its commands, sent as " + NKeyIdentity + ", and events only",
			Sends:     []string{cmds}, Gets: []string{"dray.events." + project + ".>"}}, nil
	default:
		return Permissions{}, fmt.Errorf("unknown NATS role %q: want one of gateway, system, scheduler, state, warehouse, argocd-health, admin, executor-<kind> or project-<project>", role)
	}
	return Permissions{Role: role, Publish: dedupe(g.pub), Subscribe: dedupe(g.sub), Why: why,
		Sends: dedupe(g.sends), Gets: dedupe(g.gets), JetStream: dedupe(g.js), Responses: g.responses}, nil
}

// TokenInboxPrefix is the reply-subject prefix of the connections of a project's token
// (nats.CustomInboxPrefix): _INBOX._token.<project>.<name>. No role's inbox covers it.
func TokenInboxPrefix(project, name string) string { return "_INBOX._token." + project + "." + name }

// TokenPermissions are what a project's API token may do on the bus when it connects through
// the auth callout (pkg/callout): publish the commands of verbs (those its role allows) under
// its own name only, dray.cmd.<project>.<verb>.<name>, and subscribe to the project's events
// and its own inbox. It reads no bucket and no stream.
func TokenPermissions(project, name string, verbs []string) Permissions {
	p := Permissions{Role: "token " + project + "/" + name,
		Subscribe: []string{"dray.events." + project + ".>", TokenInboxPrefix(project, name) + ".>"},
		Why:       "a project's API token on the bus (auth callout, dray token create --nats): the commands of the verbs its role allows, sent as its name, and the project's events",
		Sends:     []string{CommandSubjectAs(project, "<verb>", name)},
		Gets:      []string{"dray.events." + project + ".>"}}
	for _, v := range verbs {
		p.Publish = append(p.Publish, CommandSubjectAs(project, v, name))
	}
	return p
}

func (g *grant) argocdHealth(role string) {
	g.base(role)
	g.receive("dray.events.*.>")
	g.send(EventSubject("*", "stage.health.changed"))
	g.writeKV(BucketStages) // a Stage's health, compare-and-set
	g.readKV(BucketResources, BucketPromotions, BucketFreight, BucketSecrets)
}

// NotifyDurable is the consumer of DRAY_EVENTS through which the http executor delivers the
// events EventRouters route.
const NotifyDurable = "executor-http-notify"

// ServiceRoles are the roles of every service of Dray with the executors of the kinds given.
func ServiceRoles(executors []string) []string {
	roles := []string{RoleGateway, RoleScheduler, RoleState, RoleWarehouse, RoleArgoCDHealth}
	for _, k := range executors {
		roles = append(roles, ExecutorRole(k))
	}
	return roles
}

func dedupe(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// PermissionTable is the table of pkg/bus/README.md "Who may do what on the bus". A test
// keeps the README equal to it.
func PermissionTable(executors []string) string {
	var b strings.Builder
	b.WriteString("| role | does | publishes | subscribes to | JetStream |\n|---|---|---|---|---|\n")
	for _, role := range append(ServiceRoles(executors), RoleSystem, ProjectRole("p"), RoleAdmin) {
		p, err := PermissionsOf(role)
		if err != nil {
			panic(err) // the roles above are fixed
		}
		row(&b, "`"+role+"`", p)
	}
	row(&b, "token `p/ci`", TokenPermissions("p", "ci", nil))
	return b.String()
}

func row(b *strings.Builder, role string, p Permissions) {
	gets := codeList(p.Gets)
	if p.Responses {
		gets += " (answers the auth callout)"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", role, p.Why, codeList(p.Sends), gets, strings.Join(p.JetStream, "; "))
}

func codeList(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, " ")
}
