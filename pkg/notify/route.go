package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// kargoTypes maps Kargo's event type names to Dray's event types.
var kargoTypes = map[string]string{
	"PromotionCreated":             "promotion.created",
	"PromotionStarted":             "promotion.started",
	"PromotionSucceeded":           "promotion.succeeded",
	"PromotionFailed":              "promotion.failed",
	"PromotionErrored":             "promotion.errored",
	"PromotionAborted":             "promotion.aborted",
	"FreightCreated":               "freight.created",
	"FreightApproved":              "freight.approved",
	"FreightVerificationSucceeded": "freight.verified",
	"FreightVerificationFailed":    "freight.verification.failed",
	"FreightVerificationErrored":   "freight.verification.failed",
}

// drayType is the form of Dray's short event types (docs/nats.md#events).
var drayType = regexp.MustCompile(`^[a-z]+(\.[a-z]+)+$`)

// EventType returns the Dray event type (dev.dray.promotion.failed) a router's type names:
// Kargo's name (PromotionFailed), Dray's short type (promotion.failed) or its full type.
func EventType(name string) (string, error) {
	if t, ok := kargoTypes[name]; ok {
		return v1.EventTypePrefix + t, nil
	}
	short := strings.TrimPrefix(name, v1.EventTypePrefix)
	if drayType.MatchString(short) {
		return v1.EventTypePrefix + short, nil
	}
	known := make([]string, 0, len(kargoTypes))
	for k := range kargoTypes {
		known = append(known, k)
	}
	sort.Strings(known)
	return "", fmt.Errorf("unknown event type %q: want a Dray event type such as promotion.failed (docs/nats.md#events) or one of Kargo's: %s", name, strings.Join(known, ", "))
}

// Env is what a router's expressions see: {event: …}. event holds the fields of the event's
// data (project, stage, promotion, freight, message, actor, …) and of its envelope: id, type
// (short, e.g. promotion.failed), source, subject, time; plus Kargo's names stageName,
// promotionName and freightName. Labels, when given, are the labels of the event's Stage, as
// event.stageLabels.
func Env(ev *v1.Event, stageLabels map[string]string) (map[string]any, error) {
	e := map[string]any{}
	if len(ev.Data) > 0 {
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return nil, fmt.Errorf("event %s: data: %w", ev.ID, err)
		}
		if e == nil {
			e = map[string]any{}
		}
	}
	e["id"] = ev.ID
	e["type"] = strings.TrimPrefix(ev.Type, v1.EventTypePrefix)
	e["source"] = ev.Source
	e["subject"] = ev.Subject
	e["time"] = ev.Time.UTC().Format("2006-01-02T15:04:05Z07:00")
	for dray, kargo := range map[string]string{"stage": "stageName", "promotion": "promotionName", "freight": "freightName"} {
		if v, ok := e[dray]; ok {
			e[kargo] = v
		}
	}
	labels := map[string]any{}
	for k, v := range stageLabels {
		labels[k] = v
	}
	e["stageLabels"] = labels
	return map[string]any{"event": e}, nil
}

// Route is one delivery an event gets: a channel of a router, with its message.
type Route struct {
	Router string
	// Index is the channel's position in spec.channels; Router and Index identify the route.
	Index        int
	Channel      v1.EventRouterChannel
	Message      string
	EncodingType string
}

// ID identifies the route, for deduplication: router name and channel index.
func (r Route) ID() string { return fmt.Sprintf("%s.%d", r.Router, r.Index) }

// Routes returns the deliveries router makes of the event whose Env is env and whose type is
// eventType: none when the type is not in spec.types or spec.when is false. An error means
// the router cannot be evaluated for this event (its when is not a boolean, a template fails).
func Routes(ev *expr.Evaluator, router *v1.EventRouter, eventType string, env map[string]any) ([]Route, error) {
	if !matchesType(router.Spec.Types, eventType) {
		return nil, nil
	}
	if ok, err := When(ev, router.Spec.When, env); err != nil || !ok {
		return nil, err
	}
	var out []Route
	var errs []error
	for i, ch := range router.Spec.Channels {
		tmpl, enc := router.Spec.Output, router.Spec.EncodingType
		if ch.Output != "" {
			tmpl = ch.Output
		}
		if ch.EncodingType != "" {
			enc = ch.EncodingType
		}
		msg := ""
		if tmpl == "" {
			msg = DefaultMessage(env)
			enc = ""
		} else {
			var err error
			if msg, err = Render(ev, tmpl, env); err != nil {
				errs = append(errs, fmt.Errorf("spec.channels[%d] output: %w", i, err))
				continue
			}
			if strings.TrimSpace(msg) == "" {
				errs = append(errs, fmt.Errorf("spec.channels[%d]: the output rendered to an empty message", i))
				continue
			}
		}
		out = append(out, Route{Router: router.Metadata.Name, Index: i, Channel: ch, Message: msg, EncodingType: enc})
	}
	return out, errors.Join(errs...)
}

func matchesType(types []string, eventType string) bool {
	return slices.ContainsFunc(types, func(name string) bool {
		t, err := EventType(name)
		return err == nil && t == eventType
	})
}

// When evaluates a router's when expression; empty is true.
func When(ev *expr.Evaluator, when string, env map[string]any) (bool, error) {
	if strings.TrimSpace(when) == "" {
		return true, nil
	}
	v, err := ev.Bare(when, env)
	if err != nil {
		return false, fmt.Errorf("spec.when: %w", err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("spec.when: %q is a %T, not a boolean", when, v)
	}
	return b, nil
}

// Render substitutes every ${{ expression }} of tmpl with its value over env: strings as
// they are, other values as JSON.
func Render(ev *expr.Evaluator, tmpl string, env map[string]any) (string, error) {
	var out strings.Builder
	for rest := tmpl; ; {
		start := strings.Index(rest, "${{")
		if start < 0 {
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:start])
		body := rest[start+3:]
		end := strings.Index(body, "}}")
		if end < 0 {
			return "", fmt.Errorf("expected }} after %q", rest[start:])
		}
		v, err := ev.Bare(body[:end], env)
		if err != nil {
			return "", err
		}
		switch v := v.(type) {
		case nil:
		case string:
			out.WriteString(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("${{%s}}: %w", body[:end], err)
			}
			out.Write(b)
		}
		rest = body[end+2:]
	}
}

// DefaultMessage is the message of a route without output: the event's type, project and
// what it is about, and its message.
func DefaultMessage(env map[string]any) string {
	e, _ := env["event"].(map[string]any)
	s := func(k string) string { v, _ := e[k].(string); return v }
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", s("project"), s("type"))
	for _, k := range []string{"stage", "promotion", "freight"} {
		if v := s(k); v != "" {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	if m := s("message"); m != "" {
		b.WriteString(": " + m)
	}
	return b.String()
}

// sample is an event every field of which is set, to try a router's expressions at apply.
var sample = func() map[string]any {
	env, _ := Env(&v1.Event{ID: "id", Type: v1.TypePromotionFailed, Data: json.RawMessage(
		`{"project":"p","stage":"s","promotion":"pr","freight":"f","phase":"Failed","message":"m","actor":"a"}`)}, nil)
	return env
}()

// Check reports the problems of a router's spec as field path → message: unknown types,
// channels of another kind, encodings other than "", json, yaml or xml, and a when or
// output that fails on a sample promotion event.
func Check(spec *v1.EventRouterSpec) map[string]string {
	probs := map[string]string{}
	if len(spec.Types) == 0 {
		probs["spec.types"] = "must list at least one event type"
	}
	for i, t := range spec.Types {
		if _, err := EventType(t); err != nil {
			probs[fmt.Sprintf("spec.types[%d]", i)] = err.Error()
		}
	}
	if len(spec.Channels) == 0 {
		probs["spec.channels"] = "must list at least one channel"
	}
	encodings := map[string]bool{"": true, "json": true, "yaml": true, "xml": true}
	if !encodings[spec.EncodingType] {
		probs["spec.encodingType"] = fmt.Sprintf("got %q, want \"\", json, yaml or xml", spec.EncodingType)
	}
	ev := expr.New()
	if _, err := When(ev, spec.When, sample); err != nil {
		probs["spec.when"] = strings.TrimPrefix(err.Error(), "spec.when: ")
	}
	if _, err := Render(ev, spec.Output, sample); err != nil {
		probs["spec.output"] = err.Error()
	}
	for i, ch := range spec.Channels {
		p := fmt.Sprintf("spec.channels[%d]", i)
		if ch.Kind != v1.KindMessageChannel && ch.Kind != v1.KindClusterMessageChannel {
			probs[p+".kind"] = fmt.Sprintf("got %q, want MessageChannel or ClusterMessageChannel", ch.Kind)
		}
		if strings.TrimSpace(ch.Name) == "" {
			probs[p+".name"] = "must name the channel"
		}
		if !encodings[ch.EncodingType] {
			probs[p+".encodingType"] = fmt.Sprintf("got %q, want \"\", json, yaml or xml", ch.EncodingType)
		}
		if _, err := Render(ev, ch.Output, sample); err != nil {
			probs[p+".output"] = err.Error()
		}
	}
	return probs
}
