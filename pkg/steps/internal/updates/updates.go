// Package updates holds what the steps that set scalars at key paths share (yaml-update,
// toml-update, hcl-update): the update itself and the checks of its config.
package updates

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Update sets the scalar at Key to Value.
type Update struct {
	// Key is a key path, e.g. image.tag or containers.0.image.
	Key string `json:"key"`
	// Value is a string, a number or a boolean.
	Value any `json:"value"`
}

// Validate reports every update whose key parse rejects or whose value is not a string, a
// finite number or a boolean. Each problem names its field, e.g. config.updates[1].key.
func Validate(list []Update, parse func(key string) error) error {
	var errs []error
	for i, u := range list {
		if err := parse(u.Key); err != nil {
			errs = append(errs, fmt.Errorf("config.updates[%d].key: %w", i, err))
		}
		if !IsScalar(u.Value) {
			errs = append(errs, fmt.Errorf("config.updates[%d].value: must be a string, number or boolean, not %s", i, TypeName(u.Value)))
		}
	}
	return errors.Join(errs...)
}

// IsScalar reports whether v is a string, a boolean or a finite number.
func IsScalar(v any) bool {
	switch x := v.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	}
	return false
}

// TypeName says what v is, for messages: null, an object, a list, or the number or Go type.
func TypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case float64, float32:
		return fmt.Sprint(x)
	}
	return fmt.Sprintf("%T", v)
}

// CommitMessage is an update step's commitMessage output: "Updated <path>\n", then
// "\n- <key>: <value>" per update, each value as format writes it in the file's syntax.
func CommitMessage(path string, list []Update, format func(any) string) string {
	var b strings.Builder
	b.WriteString("Updated " + path + "\n")
	for _, u := range list {
		b.WriteString("\n- " + u.Key + ": " + format(u.Value))
	}
	return b.String()
}
