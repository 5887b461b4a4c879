package bus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// EventSource is the CloudEvents source of every Dray event.
const EventSource = "dray"

// NewEvent builds a CloudEvents 1.0 envelope with the CloudEvents Go SDK and validates it
// (an empty id or type, say, is an error naming the event type). What goes on the bus is the
// structured JSON of v1.Event, the same fields the SDK writes (README.md, "The NATS layout").
func NewEvent(eventType, id, subject string, data any) (*v1.Event, error) {
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(id)
	e.SetSource(EventSource)
	e.SetType(eventType)
	e.SetSubject(subject)
	e.SetTime(time.Now().UTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return nil, fmt.Errorf("encode %s event data: %w", eventType, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("build %s event %q: %w", eventType, id, err)
	}
	return fromSDK(&e), nil
}

// DecodeEvent decodes a CloudEvents structured JSON envelope with the CloudEvents Go SDK and
// validates it: a message that is not a valid CloudEvent (no id, source, type or
// specversion) is an error, which consumers treat as poison.
func DecodeEvent(data []byte) (*v1.Event, error) {
	var e event.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode cloudevent: %w", err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("invalid cloudevent %q of type %q: %w", e.ID(), e.Type(), err)
	}
	return fromSDK(&e), nil
}

// fromSDK is e as Dray's v1.Event, whose JSON is what Dray publishes.
func fromSDK(e *event.Event) *v1.Event {
	return &v1.Event{
		SpecVersion:     e.SpecVersion(),
		ID:              e.ID(),
		Source:          e.Source(),
		Type:            e.Type(),
		Subject:         e.Subject(),
		Time:            e.Time(),
		DataContentType: e.DataContentType(),
		DataSchema:      e.DataSchema(),
		Data:            json.RawMessage(e.Data()),
	}
}
