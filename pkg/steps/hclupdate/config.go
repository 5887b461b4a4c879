package hclupdate

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Config is the config of hcl-update, as described by schemas/steps/hcl-update.json.
type Config struct {
	// Path is the HCL file, relative to the workspace.
	Path string `json:"path"`
	// Updates are the attributes to set, applied in order.
	Updates []Update `json:"updates"`
}

// Update sets the attribute at Key, a dot path following the block structure (image_uri,
// resource.aws_lambda_function.app.image_uri), to Value.
type Update = updates.Update

// Validate reports every update whose key is not a valid key path, whose first or last part
// is not an HCL identifier, or whose value is not a string, a finite number or a boolean. Each
// problem names its field, e.g. config.updates[1].key.
func (c *Config) Validate() error {
	return updates.Validate(c.Updates, func(key string) error {
		_, err := ParseKey(key)
		return err
	})
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
