// Package sendmessage implements the send-message step: it posts a message to a message
// channel, a MessageChannel of the project or a ClusterMessageChannel, which is a Slack
// incoming webhook, a generic webhook or an SMTP server.
//
// Example:
//
//	steps:
//	- uses: send-message
//	  as: notify
//	  config:
//	    channel: {kind: MessageChannel, name: releases}
//	    message: Promoted ${{ ctx.targetFreight.name }} to ${{ ctx.stage }}
//	    slack: {threadTS: "1718000000.000100"}
//
// Templates name the channel, never its URL: the URL and any credentials are read from the
// Secret the channel's spec.secretRef names (in the project for a MessageChannel, in the
// shared project kargo-shared-resources for a ClusterMessageChannel), through a
// ChannelResolver, and never appear in messages, logs or outputs.
//
// Slack (spec.slack; Secret key webhookURL): the step POSTs {"text": message, "channel":
// slack.channelID, "thread_ts": slack.threadTS} as JSON. With encodingType json the message is
// the whole Slack payload, sent as is (yaml is converted to JSON; xml is refused, terminal),
// and the slack fields are ignored. The output is slack.threadTS: Slack incoming webhooks
// answer "ok", not the message's timestamp, so it is the given slack.threadTS, or "" when
// none was given; a step that starts a thread cannot learn its timestamp this way.
//
// Webhook (spec.webhook; Secret keys url and optional authorization): the step sends the
// message as the request body, as is, with spec.webhook.method (default POST), the
// Authorization header when the Secret has one, and the Content-Type of encodingType:
// text/plain (""), application/json, application/yaml or application/xml. A json message must
// be valid JSON (terminal otherwise). No output.
//
// SMTP (spec.smtp; Secret keys host, port (default 587), username, password, from): the step
// sends the message as an e-mail from from to smtp.to, with smtp.subject, as UTF-8 plain text,
// or HTML with smtp.html, quoted-printable. On port 465 the connection is TLS from the start;
// on any other it is upgraded with STARTTLS when the server offers it, and the login (PLAIN,
// when the Secret has a username) is only sent over TLS or to a server on loopback. The
// project's host allowlist holds the server (list host:port), and loopback, private and
// link-local addresses are refused unless it names them. encodingType is refused (terminal); recipients that are not addresses and a
// subject of several lines are terminal; a refused login or message is Errored (reason
// SMTPFailed) and retried. No output.
//
// Outcome: a config that is not valid, and an encoding the channel cannot take, are terminal
// (Failed). A channel or Secret that is missing or incomplete, a failed request and a non-2xx
// response are Errored and retried per the step's retry policy, since applying the missing
// resource or waiting out an outage fixes them. The request goes through the http step's
// client (httpstep.ClientOptions): the project's host allowlist, the redirect limit, the
// refusal of loopback, private and link-local addresses it does not name, and the operator's
// CAs.
package sendmessage
