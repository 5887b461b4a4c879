package tomlupdate

import (
	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Config is the config of toml-update, as described by schemas/steps/toml-update.json.
type Config struct {
	// Path is the TOML file, relative to the workspace.
	Path string `json:"path"`
	// Updates are the values to set, applied in order.
	Updates []Update `json:"updates"`
}

// Update sets the scalar at Key to Value.
type Update = updates.Update

// Validate reports every update whose key is not a valid key path or whose value is not a
// string, number or boolean. Each problem names its field, e.g. config.updates[1].key.
func (c *Config) Validate() error {
	return updates.Validate(c.Updates, func(key string) error {
		_, err := keypath.Parse(key)
		return err
	})
}
