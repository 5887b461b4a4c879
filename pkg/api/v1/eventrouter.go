package v1

// KindEventRouter is the kind of an EventRouter.
const KindEventRouter = "EventRouter"

// EventRouter sends the events of its project that match to message channels, rendering a
// message from each (docs/resources.md#eventrouter). Kargo's manifest is accepted as is:
//
//	apiVersion: ee.kargo.akuity.io/v1alpha1
//	kind: EventRouter
//	metadata: {name: prod-failures, namespace: kargo-demo}
//	spec:
//	  types: [PromotionFailed, PromotionErrored]
//	  when: event.stage == 'prod'
//	  channels:
//	  - {kind: MessageChannel, name: devops-slack}
//	  output: "Promotion ${{ event.promotion }} to ${{ event.stage }} failed: ${{ event.message }}"
type EventRouter struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta      `json:"metadata"`
	Spec     EventRouterSpec `json:"spec"`
}

// EventRouterSpec says which events go where, and what message each becomes.
type EventRouterSpec struct {
	// Types are the event types routed: Kargo's names (PromotionFailed) or Dray's
	// (promotion.failed, dev.dray.promotion.failed).
	Types []string `json:"types"`
	// Channels are where a matching event is sent, each once.
	Channels []EventRouterChannel `json:"channels"`
	// When is an expression over event that must be true for the event to be routed, e.g.
	// event.stage == 'prod'. Empty routes every event of Types.
	When string `json:"when,omitempty"`
	// GroupingKey groups related messages (a Slack thread in Kargo). Dray accepts it and does
	// not use it yet.
	GroupingKey string `json:"groupingKey,omitempty"`
	// Output is the message, a template with ${{ }} expressions over event; empty sends
	// Dray's default message for the event.
	Output string `json:"output,omitempty"`
	// EncodingType is the encoding of Output: "" (plain text), json, yaml or xml.
	EncodingType string `json:"encodingType,omitempty"`
}

// EventRouterChannel is one destination of an EventRouter, with its own message if it sets
// one.
type EventRouterChannel struct {
	// Kind is MessageChannel or ClusterMessageChannel.
	Kind string `json:"kind"`
	// Name is the channel's name.
	Name string `json:"name"`
	// Output overrides the router's Output for this channel.
	Output string `json:"output,omitempty"`
	// EncodingType overrides the router's EncodingType for this channel.
	EncodingType string `json:"encodingType,omitempty"`
}

// TypeNotificationFailed announces that an EventRouter could not deliver an event to a
// channel after its retries.
const TypeNotificationFailed = "dev.dray.notification.failed"

// NotificationEvent is the data of a notification.failed event.
type NotificationEvent struct {
	Project string `json:"project"`
	// Router is the EventRouter's name; Channel is kind/name of the channel.
	Router  string `json:"router"`
	Channel string `json:"channel"`
	// Event is the id of the event that was routed; EventType its type.
	Event     string `json:"event"`
	EventType string `json:"eventType"`
	// Attempts is how often delivery was tried; Message why the last attempt failed.
	Attempts int    `json:"attempts"`
	Message  string `json:"message"`
}
