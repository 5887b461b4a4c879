package tomlupdate

import (
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/keypath"
)

// Config is the config of toml-update, as described by schemas/steps/toml-update.json.
type Config struct {
	// Path is the TOML file, relative to the workspace.
	Path string `json:"path"`
	// Updates are the values to set, applied in order.
	Updates []Update `json:"updates"`
}

// Update sets the scalar at Key to Value.
type Update struct {
	// Key is a key path, e.g. image.tag or containers.0.image.
	Key string `json:"key"`
	// Value is a string, a number or a boolean.
	Value any `json:"value"`
}

// Validate reports every update whose key is not a valid key path or whose value is not a
// string, number or boolean. Each problem names its field, e.g. config.updates[1].key.
func (c *Config) Validate() error {
	var errs []error
	for i, u := range c.Updates {
		if _, err := keypath.Parse(u.Key); err != nil {
			errs = append(errs, fmt.Errorf("config.updates[%d].key: %w", i, err))
		}
		if !isScalar(u.Value) {
			errs = append(errs, fmt.Errorf("config.updates[%d].value: must be a string, number or boolean, not %s", i, typeName(u.Value)))
		}
	}
	return errors.Join(errs...)
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}
