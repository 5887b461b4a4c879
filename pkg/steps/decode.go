package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/schema"
)

// Decode validates sc.Config against schemas/steps/<step>.json, when the step has a schema,
// and decodes it into T, rejecting unknown fields. A bad config is a terminal error (the step
// finishes Failed and is not retried) that wraps ErrInvalidConfig and names the step alias and
// every bad field.
func Decode[T any](sc *Context, step string) (T, error) {
	var cfg T
	invalid := func(detail string) error {
		return Terminal(fmt.Errorf("step %q (%s): %w: %s", sc.Alias, step, ErrInvalidConfig, detail))
	}
	config := sc.Config
	if config == nil {
		config = map[string]any{}
	}
	if err := schema.Validate("steps/"+step, config); err != nil {
		var se *schema.Error
		switch {
		case errors.As(err, &se):
			for i := range se.Problems {
				se.Problems[i].Path = configPath(se.Problems[i].Path)
			}
			return cfg, invalid(se.Error())
		case !errors.Is(err, schema.ErrNoSchema):
			return cfg, err
		}
	}
	raw, err := json.Marshal(config)
	if err != nil {
		return cfg, invalid(err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, invalid("config: " + err.Error())
	}
	return cfg, nil
}

func configPath(p string) string {
	if p == "" {
		return "config"
	}
	if p[0] == '[' {
		return "config" + p
	}
	return "config." + p
}
