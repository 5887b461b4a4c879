package bus

import (
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Streams.
const (
	// StreamEvents holds domain events (limits retention) on dray.events.<project>.<entity>.<verb>.
	StreamEvents = "DRAY_EVENTS"
	// StreamCommands holds commands (work queue) on dray.cmd.<project>.<verb>.
	StreamCommands = "DRAY_COMMANDS"
	// StreamSteps holds step jobs (work queue) on dray.steps.<executor>.<project>.
	StreamSteps = "DRAY_STEPS"
	// StreamResults holds step results and promotion records (work queue) on
	// dray.results.<project>.<kind>.
	StreamResults = "DRAY_RESULTS"
	// StreamAudit holds the audit trail (limits retention, a year by default) on
	// dray.audit.<project>.<verb>: one record per accepted or refused mutating API request,
	// per refused API request, and per command the scheduler or warehouse accepts or rejects.
	StreamAudit = "DRAY_AUDIT"
	// StreamDead holds dead letters (limits retention, bounded) on
	// dray.dead.<stream>.<consumer>: the messages consumers terminated (see Poison).
	StreamDead = "DRAY_DEAD"
)

// Key-value buckets and the object store.
const (
	// BucketResources holds desired resources under <project>.<kind>.<name>.
	BucketResources = "dray-resources"
	// BucketFreight holds Freight under <project>.<name>.
	BucketFreight = "dray-freight"
	// BucketPromotions holds Promotions under <project>.<name>; the state service writes it.
	BucketPromotions = "dray-promotions"
	// BucketStages holds Stage status under <project>.<name>; the state service writes it.
	BucketStages = "dray-stages"
	// BucketWarehouses holds Warehouse status under <project>.<name>; the warehouse service
	// writes it.
	BucketWarehouses = "dray-warehouses"
	// BucketSecrets holds project secrets under <project>.<name>, values encrypted.
	BucketSecrets = "dray-secrets"
	// BucketTokens holds API tokens under <project>.<name> (_system.<name> for system-admin
	// tokens): name, role, expiry and the SHA-256 of the token, never the token.
	BucketTokens = "dray-tokens"
	// BucketLocks holds leases (pkg/lease) under keys their users choose, e.g.
	// push.<hash of repository URL and branch> for git-push. It is in memory, and a lease
	// left by a crashed holder expires after LockTTL.
	BucketLocks = "dray-locks"
	// BucketNotifications records the deliveries of EventRouters under
	// <project>.<event id>.<router>.<channel index>, so an event redelivered to the http
	// executor is not sent to a channel twice. Entries expire with NotificationsTTL.
	BucketNotifications = "dray-notifications"
	// ObjectWorkspaces holds workspace revisions as <promotion>/<revision>.
	ObjectWorkspaces = "dray-workspaces"
)

// NotificationsTTL is how long a delivery is remembered: longer than DRAY_EVENTS keeps the
// events by default, so no event it holds is delivered twice.
const NotificationsTTL = 8 * 24 * time.Hour

// LockTTL is how long an entry of BucketLocks lives unless its holder renews it.
const LockTTL = 20 * time.Second

// ClusterProject is the project token under which cluster-wide resources
// (ClusterPromotionTask, CustomPromotionStep, Project) are keyed. No project can be named so.
const ClusterProject = "_cluster"

// HeaderMsgID is the JetStream deduplication header. Every publish sets it deterministically.
const HeaderMsgID = "Nats-Msg-Id"

// CommandSubject is where commands of a verb for a project are published, e.g.
// dray.cmd.demo.promote.
func CommandSubject(project, verb string) string { return "dray.cmd." + project + "." + verb }

// CommandSubjectAs is where a client publishes a command as identity, e.g.
// dray.cmd.demo.promote.ci: NATS permissions let each credential publish only under its own
// identity, so the subject names who sent the command (pkg/bus/README.md, "Who may do what
// on the bus"). identity is a token's name, or NKeyIdentity.
func CommandSubjectAs(project, verb, identity string) string {
	return CommandSubject(project, verb) + "." + identity
}

// NKeyIdentity is the identity token of commands from the static project-<project> nkey users
// of dray nats config --project. No token can be named so (names are DNS labels).
const NKeyIdentity = "_nkey"

// CommandFilters are the subjects of a verb's commands in every project: those the gateway
// and admins publish (dray.cmd.*.<verb>) and those of credentials (dray.cmd.*.<verb>.*).
func CommandFilters(verbs ...string) []string {
	var out []string
	for _, v := range verbs {
		out = append(out, CommandSubject("*", v), CommandSubjectAs("*", v, "*"))
	}
	return out
}

// AuditSystem is the project token of audit records that belong to no project (system-admin
// tokens, a request whose project is not a valid name). No project can be named so.
const AuditSystem = "_system"

// AuditSubject is where audit records of a verb in a project are published, e.g.
// dray.audit.demo.promote; AuditSystem stands in for an empty project.
func AuditSubject(project, verb string) string {
	if project == "" {
		project = AuditSystem
	}
	return "dray.audit." + project + "." + verb
}

// StepSubject is where jobs for an executor are published, e.g. dray.steps.git.demo.
func StepSubject(executor, project string) string { return "dray.steps." + executor + "." + project }

// StepResultSubject is where step results of a project are published.
func StepResultSubject(project string) string { return "dray.results." + project + ".step" }

// FreightRecordSubject is where the scheduler asks the state service to change a Freight's
// status (approvals).
func FreightRecordSubject(project string) string { return "dray.results." + project + ".freight" }

// StageRecordSubject is where the scheduler asks the state service to change a Stage's
// status (pause, resume).
func StageRecordSubject(project string) string { return "dray.results." + project + ".stage" }

// PromotionRecordSubject is where promotion records of a project are published.
func PromotionRecordSubject(project string) string { return "dray.results." + project + ".promotion" }

// EventSubject is where an event of a type is published: the type without "dev.dray." after
// the project, e.g. dev.dray.promotion.succeeded → dray.events.demo.promotion.succeeded.
func EventSubject(project, eventType string) string {
	return "dray.events." + project + "." + strings.TrimPrefix(eventType, v1.EventTypePrefix)
}

// DeadSubject is where a consumer's dead letters are recorded, e.g.
// dray.dead.DRAY_RESULTS.state.
func DeadSubject(stream, consumer string) string { return "dray.dead." + stream + "." + consumer }

// ResourceKey is the dray-resources key of a resource.
func ResourceKey(project, kind, name string) string {
	if project == "" {
		project = ClusterProject
	}
	return project + "." + kind + "." + name
}

// Key is the key of a recorded object (Freight, Promotion, Stage status) in its bucket.
func Key(project, name string) string { return project + "." + name }
