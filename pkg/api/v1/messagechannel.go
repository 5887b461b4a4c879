package v1

// Kinds of message channel, the destinations of the send-message step.
const (
	KindMessageChannel        = "MessageChannel"
	KindClusterMessageChannel = "ClusterMessageChannel"
)

// Keys of a message channel's Secret. The Secret holds everything that would let someone
// post to the channel, so none of it appears in templates, results or logs.
const (
	// MessageChannelKeySlackURL is the key of a Slack channel's incoming-webhook URL.
	MessageChannelKeySlackURL = "webhookURL"
	// MessageChannelKeyURL is the key of a webhook channel's URL.
	MessageChannelKeyURL = "url"
	// MessageChannelKeyAuthorization is the key of a webhook channel's optional Authorization
	// header value, e.g. "Bearer <token>".
	MessageChannelKeyAuthorization = "authorization"
	// MessageChannelKeySMTPHost and the keys below are an SMTP channel's server (host, and
	// port, default 587; 465 means TLS from the start, any other STARTTLS when the server
	// offers it), its optional login (username, password: PLAIN, only over TLS) and its
	// sender address (from).
	MessageChannelKeySMTPHost     = "host"
	MessageChannelKeySMTPPort     = "port"
	MessageChannelKeySMTPUsername = "username"
	MessageChannelKeySMTPPassword = "password"
	MessageChannelKeySMTPFrom     = "from"
)

// MessageChannel is a destination of the send-message step in one project: a Slack incoming
// webhook, a generic webhook or an SMTP server. Its URL and credentials are kept in a Secret of the same
// project, named by spec.secretRef, so templates name the channel, never the URL:
//
//	apiVersion: kargo.akuity.io/v1alpha1
//	kind: MessageChannel
//	metadata: {name: releases, namespace: kargo-demo}
//	spec:
//	  secretRef: {name: slack-releases}   # key webhookURL
//	  slack: {}
//
// This is Dray's shape: spec.secretRef and exactly one of spec.slack, spec.webhook or spec.smtp.
type MessageChannel struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta         `json:"metadata"`
	Spec     MessageChannelSpec `json:"spec"`
}

// ClusterMessageChannel is a MessageChannel that every project may use. Its Secret lives in
// the shared project (SharedProject, kargo-shared-resources).
type ClusterMessageChannel struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta         `json:"metadata"`
	Spec     MessageChannelSpec `json:"spec"`
}

// MessageChannelSpec says what kind of channel it is and where its secrets are: secretRef
// and exactly one of slack, webhook or smtp.
type MessageChannelSpec struct {
	// SecretRef names the Secret that holds the channel's URL and credentials: in the
	// channel's project for a MessageChannel, in the shared project (kargo-shared-resources)
	// for a ClusterMessageChannel.
	SecretRef LocalObjectReference `json:"secretRef"`
	// Slack makes this a Slack incoming webhook: the Secret's key webhookURL is its URL.
	Slack *SlackChannel `json:"slack,omitempty"`
	// Webhook makes this a generic webhook: the Secret's key url is its URL, and its optional
	// key authorization is sent as the Authorization header.
	Webhook *WebhookChannel `json:"webhook,omitempty"`
	// SMTP makes this an e-mail channel: the Secret's keys host, port, username, password
	// and from say how to send.
	SMTP *SMTPChannel `json:"smtp,omitempty"`
}

// SMTPChannel sends e-mail. It has no settings of its own: the server, login and sender are
// in the Secret, and the step's config names the recipients and the subject.
type SMTPChannel struct{}

// SlackChannel is a Slack incoming webhook. It has no settings of its own: the webhook URL
// is the Secret's key webhookURL, and the step's config may name a channel and a thread.
type SlackChannel struct{}

// WebhookChannel is a generic webhook: send-message sends the message as the request body.
type WebhookChannel struct {
	// Method is POST (the default), PUT or PATCH.
	Method string `json:"method,omitempty"`
}
