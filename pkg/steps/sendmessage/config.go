package sendmessage

// Config is the config of send-message, as described by schemas/steps/send-message.json.
type Config struct {
	// Channel names the channel to send to.
	Channel ChannelRef `json:"channel"`
	// Message is the text to send, or with EncodingType the whole payload.
	Message string `json:"message"`
	// EncodingType is "" (plain text), json, yaml or xml: then Message is the whole payload in
	// that encoding and the Slack fields are ignored.
	EncodingType string `json:"encodingType,omitempty"`
	// Slack are the Slack-only settings, used with a Slack channel and plain text.
	Slack *SlackConfig `json:"slack,omitempty"`
	// SMTP are the e-mail settings, needed with an SMTP channel.
	SMTP *SMTPConfig `json:"smtp,omitempty"`
}

// SMTPConfig says who receives the e-mail and what it is about.
type SMTPConfig struct {
	// To are the recipients' addresses, e.g. "ops@example.com" or "Ops <ops@example.com>".
	To []string `json:"to"`
	// Subject is the e-mail's subject.
	Subject string `json:"subject,omitempty"`
	// HTML says the message is HTML rather than plain text.
	HTML bool `json:"html,omitempty"`
}

// ChannelRef names a MessageChannel of the project or a ClusterMessageChannel.
type ChannelRef struct {
	// Kind is MessageChannel or ClusterMessageChannel.
	Kind string `json:"kind"`
	// Name is the channel's name.
	Name string `json:"name"`
}

// String is kind/name, how messages name the channel.
func (r ChannelRef) String() string { return r.Kind + "/" + r.Name }

// SlackConfig says where in Slack the message goes.
type SlackConfig struct {
	// ChannelID overrides the webhook's channel, where Slack allows it.
	ChannelID string `json:"channelID,omitempty"`
	// ThreadTS is the timestamp of the message to reply to in a thread.
	ThreadTS string `json:"threadTS,omitempty"`
}
