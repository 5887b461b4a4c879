package v1

// Entry ties together the four pieces every resource and message has: its Go type, its schema
// (schemas/<Name>.json), its example (testdata/<Name>.yaml) and the constant that identifies
// it on the wire (a kind, an event type or a subject pattern).
type Entry struct {
	// Name is the schema's file name without .json, e.g. stage.
	Name string
	// ID is the kind of a resource, the CloudEvents type of an event payload, or the subject
	// pattern a message travels on.
	ID string
	// Message is true for messages between services: their schemas accept unknown fields, so
	// rolling upgrades work. Resources reject unknown fields and name them.
	Message bool
	// New returns a pointer to a zero value of the Go type.
	New func() any
}

// Table lists every resource and message.
var Table = []Entry{
	{Name: "project", ID: KindProject, New: func() any { return new(Project) }},
	{Name: "projectconfig", ID: KindProjectConfig, New: func() any { return new(ProjectConfig) }},
	{Name: "clusterconfig", ID: KindClusterConfig, New: func() any { return new(ClusterConfig) }},
	{Name: "warehouse", ID: KindWarehouse, New: func() any { return new(Warehouse) }},
	{Name: "stage", ID: KindStage, New: func() any { return new(Stage) }},
	{Name: "freight", ID: KindFreight, New: func() any { return new(Freight) }},
	{Name: "promotion", ID: KindPromotion, New: func() any { return new(Promotion) }},
	{Name: "promotiontask", ID: KindPromotionTask, New: func() any { return new(PromotionTask) }},
	{Name: "clusterpromotiontask", ID: KindClusterPromotionTask, New: func() any { return new(ClusterPromotionTask) }},
	{Name: "custompromotionstep", ID: KindCustomPromotionStep, New: func() any { return new(CustomPromotionStep) }},
	{Name: "secret", ID: KindSecret, New: func() any { return new(Secret) }},
	{Name: "configmap", ID: KindConfigMap, New: func() any { return new(ConfigMap) }},
	{Name: "messagechannel", ID: KindMessageChannel, New: func() any { return new(MessageChannel) }},
	{Name: "clustermessagechannel", ID: KindClusterMessageChannel, New: func() any { return new(ClusterMessageChannel) }},
	{Name: "eventrouter", ID: KindEventRouter, New: func() any { return new(EventRouter) }},
	{Name: "serviceaccount", ID: KindServiceAccount, New: func() any { return new(ServiceAccount) }},
	{Name: "role", ID: KindRole, New: func() any { return new(Role) }},
	{Name: "rolebinding", ID: KindRoleBinding, New: func() any { return new(RoleBinding) }},

	{Name: "stepjob", ID: "dray.steps.<executor>.<project>", Message: true, New: func() any { return new(StepJob) }},
	{Name: "stepresult", ID: "dray.results.<project>.step", Message: true, New: func() any { return new(StepResult) }},
	{Name: "promotionrecord", ID: "dray.results.<project>.promotion", Message: true, New: func() any { return new(PromotionRecord) }},
	{Name: "promotecommand", ID: "dray.cmd.<project>.promote", Message: true, New: func() any { return new(PromoteCommand) }},
	{Name: "abortcommand", ID: "dray.cmd.<project>.abort", Message: true, New: func() any { return new(AbortCommand) }},
	{Name: "approvecommand", ID: "dray.cmd.<project>.approve", Message: true, New: func() any { return new(ApproveCommand) }},
	{Name: "rejectcommand", ID: "dray.cmd.<project>.reject", Message: true, New: func() any { return new(RejectCommand) }},
	{Name: "verifycommand", ID: "dray.cmd.<project>.verify", Message: true, New: func() any { return new(VerifyCommand) }},
	{Name: "stagecommand", ID: "dray.cmd.<project>.pause", Message: true, New: func() any { return new(StageCommand) }},
	{Name: "stagerecord", ID: "dray.results.<project>.stage", Message: true, New: func() any { return new(StageRecord) }},
	{Name: "stageevent", ID: TypeStagePaused, Message: true, New: func() any { return new(StageEvent) }},
	{Name: "stepinputcommand", ID: "dray.cmd.<project>.input", Message: true, New: func() any { return new(StepInputCommand) }},
	{Name: "wakecommand", ID: "dray.cmd.<project>.wake", Message: true, New: func() any { return new(WakeCommand) }},
	{Name: "freightrecord", ID: "dray.results.<project>.freight", Message: true, New: func() any { return new(FreightRecord) }},
	{Name: "refreshcommand", ID: "dray.cmd.<project>.refresh", Message: true, New: func() any { return new(RefreshCommand) }},
	{Name: "event", ID: "dray.events.<project>.<entity>.<verb>", Message: true, New: func() any { return new(Event) }},
	{Name: "promotionevent", ID: TypePromotionCreated, Message: true, New: func() any { return new(PromotionEvent) }},
	{Name: "freightevent", ID: TypeFreightCreated, Message: true, New: func() any { return new(FreightEvent) }},
	{Name: "commandrejected", ID: TypeCommandRejected, Message: true, New: func() any { return new(CommandRejected) }},
	{Name: "auditrecord", ID: "dray.audit.<project>.<verb>", Message: true, New: func() any { return new(AuditRecord) }},
	{Name: "deadletter", ID: "dray.dead.<stream>.<consumer>", Message: true, New: func() any { return new(DeadLetter) }},
	{Name: "stagehealthevent", ID: TypeStageHealthChanged, Message: true, New: func() any { return new(StageHealthEvent) }},
	{Name: "notificationevent", ID: TypeNotificationFailed, Message: true, New: func() any { return new(NotificationEvent) }},
}

// ResourceEntry returns the Table entry of a resource kind.
func ResourceEntry(kind string) (Entry, bool) {
	for _, e := range Table {
		if !e.Message && e.ID == kind {
			return e, true
		}
	}
	return Entry{}, false
}
