package sendmessage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
)

// Name is the step's name, the value of uses.
const Name = "send-message"

// DefaultTimeout bounds one request to a channel.
const DefaultTimeout = time.Minute

// Reasons of the step's results besides the client's (httpclient.ReasonHostNotAllowed, …).
const (
	// ReasonChannelNotFound: the channel does not exist (Errored, retried).
	ReasonChannelNotFound = "ChannelNotFound"
	// ReasonSecretNotFound: the channel's Secret does not exist, or lacks a key the channel
	// needs (Errored, retried).
	ReasonSecretNotFound = "ChannelSecretNotFound"
	// ReasonHTTPStatus: the channel answered with a status other than 2xx (Errored, retried).
	ReasonHTTPStatus = "HTTPStatus"
	// ReasonUnsupportedEncoding: the channel cannot take the message's encoding (terminal).
	ReasonUnsupportedEncoding = "UnsupportedEncoding"
	// ReasonNoChannels: the executor was started without a way to read channels (terminal).
	ReasonNoChannels = "NoChannelStore"
)

// Options are what the step needs from its executor. The zero value has no channels: every
// run fails with ReasonNoChannels.
type Options struct {
	httpclient.ClientOptions
	// Channels finds channels and their Secrets.
	Channels ChannelResolver
}

// Step is the send-message step. It is safe for concurrent use.
type Step struct {
	opts Options
}

var _ steps.Step = (*Step)(nil)

// New returns the send-message step.
func New(opts Options) *Step { return &Step{opts: opts} }

// Info names the step and says it runs on the http executor and leaves the workspace alone.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "http", ReadOnly: true} }

// contentTypes are the Content-Type of a webhook body by encodingType.
var contentTypes = map[string]string{
	"":     "text/plain; charset=utf-8",
	"json": "application/json",
	"yaml": "application/yaml",
	"xml":  "application/xml",
}

// Run sends config.message to config.channel.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	prefix := fmt.Sprintf("step %q (%s): send to %s", sc.Alias, Name, cfg.Channel)
	if _, ok := contentTypes[cfg.EncodingType]; !ok {
		return steps.Result{}, steps.Terminal(fmt.Errorf("%s: %w: config.encodingType: %q is not \"\", json, yaml or xml", prefix, steps.ErrInvalidConfig, cfg.EncodingType))
	}
	if s.opts.Channels == nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned(ReasonNoChannels, fmt.Errorf("%s: this executor cannot read message channels (started without the bus or a secrets key)", prefix)))
	}
	ch, err := s.opts.Channels.ResolveChannel(ctx, sc.Project, cfg.Channel)
	switch {
	case ctx.Err() != nil:
		return steps.Result{}, ctx.Err()
	case errors.Is(err, ErrChannelNotFound):
		return steps.Result{}, steps.Reasoned(ReasonChannelNotFound, fmt.Errorf("%s: %w", prefix, err))
	case errors.Is(err, ErrSecretNotFound):
		return steps.Result{}, steps.Reasoned(ReasonSecretNotFound, fmt.Errorf("%s: %w", prefix, err))
	case err != nil:
		return steps.Result{}, fmt.Errorf("%s: %w", prefix, err)
	}
	if ch.Spec.SMTP != nil {
		return s.runSMTP(ctx, sc, cfg, ch, prefix)
	}
	var m message
	switch {
	case ch.Spec.Slack != nil:
		m, err = slackMessage(cfg, ch)
	case ch.Spec.Webhook != nil:
		m, err = webhookMessage(cfg, ch)
	default:
		err = errors.New("the channel sets none of slack, webhook or smtp")
	}
	if err != nil {
		return steps.Result{}, m.redact(fmt.Errorf("%s: %w", prefix, err))
	}
	if err := s.send(ctx, sc.Project, m); err != nil {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		return steps.Result{}, m.redact(fmt.Errorf("%s: %w", prefix, err))
	}
	sc.Log.Info("message sent", "channel", cfg.Channel.String(), "bytes", len(m.body))
	res := steps.Result{Message: fmt.Sprintf("sent %d bytes to %s", len(m.body), cfg.Channel)}
	if ch.Spec.Slack != nil {
		ts := ""
		if cfg.Slack != nil {
			ts = cfg.Slack.ThreadTS
		}
		res.Outputs = map[string]any{"slack": map[string]any{"threadTS": ts}}
	}
	return res, nil
}

// runSMTP sends cfg's message as an e-mail through SMTP channel ch. The step has no output.
func (s *Step) runSMTP(ctx context.Context, sc *steps.Context, cfg Config, ch *Channel, prefix string) (steps.Result, error) {
	m, err := smtpMessage(cfg, ch, time.Now())
	if err == nil {
		err = s.sendMail(ctx, sc.Project, m)
	}
	if err != nil {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		if refused := httpclient.Refused(err); refused != nil {
			err = refused
		}
		// The password is the only secret a failure could quote.
		return steps.Result{}, httpclient.Request{Headers: []httpclient.NameValue{{Value: m.password}}}.Redact(fmt.Errorf("%s: %w", prefix, err))
	}
	sc.Log.Info("e-mail sent", "channel", cfg.Channel.String(), "recipients", len(m.to), "bytes", len(m.data))
	return steps.Result{Message: fmt.Sprintf("sent an e-mail to %d recipient(s) through %s", len(m.to), cfg.Channel)}, nil
}

// message is one request to a channel. url and authorization are secret.
type message struct {
	method, url, authorization, contentType string
	body                                    []byte
}

// redact removes the channel's URL, its path and query, and its authorization from err's
// message, keeping what errors.Is and errors.As find.
func (m message) redact(err error) error {
	vals := []httpclient.NameValue{{Value: m.url}, {Value: m.authorization}}
	if u, perr := url.Parse(m.url); perr == nil {
		if u.Path != "/" {
			vals = append(vals, httpclient.NameValue{Value: u.EscapedPath()}, httpclient.NameValue{Value: u.Path})
		}
		vals = append(vals, httpclient.NameValue{Value: u.RawQuery})
	}
	return httpclient.Request{URL: m.url, Headers: vals}.Redact(err)
}

// secretValue returns the Secret's value under key, or an error naming the Secret and key.
func secretValue(ch *Channel, key string) (string, error) {
	v := strings.TrimSpace(ch.Data[key])
	if v == "" {
		return "", steps.Reasoned(ReasonSecretNotFound, fmt.Errorf("%w: Secret %s has no key %s", ErrSecretNotFound, ch.Spec.SecretRef.Name, key))
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The value is secret: name the key only.
		return "", steps.Reasoned(ReasonSecretNotFound, fmt.Errorf("Secret %s key %s: not an http:// or https:// URL", ch.Spec.SecretRef.Name, key))
	}
	return v, nil
}

// slackMessage builds the payload of a Slack incoming webhook.
func slackMessage(cfg Config, ch *Channel) (message, error) {
	m := message{method: "POST", contentType: "application/json"}
	var err error
	if m.url, err = secretValue(ch, v1.MessageChannelKeySlackURL); err != nil {
		return m, err
	}
	switch cfg.EncodingType {
	case "":
		payload := struct {
			Text     string `json:"text"`
			Channel  string `json:"channel,omitempty"`
			ThreadTS string `json:"thread_ts,omitempty"`
		}{Text: cfg.Message}
		if cfg.Slack != nil {
			payload.Channel, payload.ThreadTS = cfg.Slack.ChannelID, cfg.Slack.ThreadTS
		}
		m.body, err = json.Marshal(payload)
	case "json":
		m.body, err = jsonObject(cfg.Message)
	case "yaml":
		if m.body, err = yaml.YAMLToJSON([]byte(cfg.Message)); err == nil {
			m.body, err = jsonObject(string(m.body))
		}
	default:
		return m, steps.Terminal(steps.Reasoned(ReasonUnsupportedEncoding, fmt.Errorf(
			"a Slack channel takes a plain, json or yaml message, not %s", cfg.EncodingType)))
	}
	if err != nil {
		return m, steps.Terminal(fmt.Errorf("%w: config.message: %w", steps.ErrInvalidConfig, err))
	}
	return m, nil
}

// jsonObject checks that s is a JSON object, the shape of a Slack payload.
func jsonObject(s string) ([]byte, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	return []byte(s), nil
}

// webhookMessage builds the request of a generic webhook: the message is the body, as is.
func webhookMessage(cfg Config, ch *Channel) (message, error) {
	m := message{method: ch.Spec.Webhook.Method, contentType: contentTypes[cfg.EncodingType], body: []byte(cfg.Message)}
	if m.method == "" {
		m.method = "POST"
	}
	var err error
	if m.url, err = secretValue(ch, v1.MessageChannelKeyURL); err != nil {
		return m, err
	}
	m.authorization = strings.TrimSpace(ch.Data[v1.MessageChannelKeyAuthorization])
	if strings.ContainsAny(m.authorization, "\r\n\x00") {
		return m, steps.Reasoned(ReasonSecretNotFound, fmt.Errorf("Secret %s key %s: not a valid header value", ch.Spec.SecretRef.Name, v1.MessageChannelKeyAuthorization))
	}
	if cfg.EncodingType == "json" && !json.Valid(m.body) {
		return m, steps.Terminal(fmt.Errorf("%w: config.message: encodingType is json but the message is not valid JSON", steps.ErrInvalidConfig))
	}
	return m, nil
}

// send makes the request and reads the answer; a non-2xx status is an error.
func (s *Step) send(ctx context.Context, project string, m message) error {
	headers := []httpclient.NameValue{{Name: "Content-Type", Value: m.contentType}}
	if m.authorization != "" {
		headers = append(headers, httpclient.NameValue{Name: "Authorization", Value: m.authorization})
	}
	req := httpclient.Request{
		Project: project, Method: m.method, URL: m.url, Headers: headers,
		Body: bytes.NewReader(m.body), Timeout: DefaultTimeout,
	}
	resp, cancel, err := s.opts.Do(ctx, req)
	if err != nil {
		return req.Redact(err)
	}
	defer cancel()
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	msg := fmt.Sprintf("the channel answered HTTP %d", resp.StatusCode)
	if a := firstLine(answer); a != "" {
		msg += ": " + a
	}
	return steps.Reasoned(ReasonHTTPStatus, errors.New(msg))
}

// firstLine is the start of a response body, for the message: Slack answers with short codes
// such as invalid_payload or channel_not_found.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	s = strings.TrimSpace(s)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strings.ToValidUTF8(s, "")
}
