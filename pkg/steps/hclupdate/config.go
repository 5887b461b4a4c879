package hclupdate

import (
	"errors"
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drayhq/dray/pkg/keypath"
)

// Config is the config of hcl-update, as described by schemas/steps/hcl-update.json.
type Config struct {
	// Path is the HCL file, relative to the workspace.
	Path string `json:"path"`
	// Updates are the attributes to set, applied in order.
	Updates []Update `json:"updates"`
}

// Update sets the attribute at Key to Value.
type Update struct {
	// Key is a dot path following the block structure, e.g. image_uri or
	// resource.aws_lambda_function.app.image_uri.
	Key string `json:"key"`
	// Value is a string, a number or a boolean.
	Value any `json:"value"`
}

// Validate reports every update whose key is not a valid key path, whose first or last part
// is not an HCL identifier, or whose value is not a string, a finite number or a boolean. Each
// problem names its field, e.g. config.updates[1].key.
func (c *Config) Validate() error {
	var errs []error
	for i, u := range c.Updates {
		if _, err := ParseKey(u.Key); err != nil {
			errs = append(errs, fmt.Errorf("config.updates[%d].key: %w", i, err))
		}
		if !isScalar(u.Value) {
			errs = append(errs, fmt.Errorf("config.updates[%d].value: must be a string, number or boolean, not %s", i, typeName(u.Value)))
		}
	}
	return errors.Join(errs...)
}

// ErrBadKey is wrapped by ParseKey's errors for a key path that is well formed but cannot
// name an HCL attribute; a malformed key path wraps keypath.ErrSyntax.
var ErrBadKey = errors.New("invalid HCL key path")

// ParseKey splits key into its parts with keypath.Parse and checks that the first part (a
// block type or a top-level attribute) and the last (an attribute) are HCL identifiers.
func ParseKey(key string) ([]keypath.Part, error) {
	parts, err := keypath.Parse(key)
	if err != nil {
		return nil, err
	}
	if first := parts[0].Key; !hclsyntax.ValidIdentifier(first) {
		return nil, fmt.Errorf("%w %q: %q is not an HCL identifier (a block type or attribute name)", ErrBadKey, key, first)
	}
	if last := parts[len(parts)-1].Key; !hclsyntax.ValidIdentifier(last) {
		return nil, fmt.Errorf("%w %q: %q is not an HCL identifier (an attribute name)", ErrBadKey, key, last)
	}
	return parts, nil
}

func isScalar(v any) bool {
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

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case float64:
		return fmt.Sprint(x)
	case float32:
		return fmt.Sprint(x)
	}
	return fmt.Sprintf("%T", v)
}
