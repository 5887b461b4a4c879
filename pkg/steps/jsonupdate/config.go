package jsonupdate

import (
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/keypath"
)

// Config is the config of json-update, as described by schemas/steps/json-update.json.
type Config struct {
	// Path is the JSON file, relative to the workspace.
	Path string `json:"path"`
	// Updates are the values to set, applied in order.
	Updates []Update `json:"updates"`
}

// Update sets the value at Key to Value.
type Update struct {
	// Key is a key path in sjson syntax, e.g. image.tag, containers.0.image, or list.-1 to
	// append to a list.
	Key string `json:"key"`
	// Value is a string, a number or a boolean.
	Value any `json:"value"`
}

// Validate reports every update whose key has an empty part or a bad escape, and every value
// that is not a string, number or boolean. Each problem names its field.
func (c *Config) Validate() error {
	var errs []error
	for i, u := range c.Updates {
		if _, err := keypath.Parse(u.Key); err != nil {
			errs = append(errs, fmt.Errorf("config.updates[%d].key: %w", i, err))
		}
		switch u.Value.(type) {
		case string, bool, float64, int:
		default:
			errs = append(errs, fmt.Errorf("config.updates[%d].value: value for key %q is not a scalar type", i, u.Key))
		}
	}
	return errors.Join(errs...)
}
