package tomlparse

import (
	"encoding/json"

	"github.com/pelletier/go-toml/v2"
)

// decode reads a TOML document with JSON semantics: integers and floats become float64, and
// dates and times their RFC 3339 text, as they would in a step output.
func decode(data []byte) (any, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var v any
	err = json.Unmarshal(j, &v)
	return v, err
}
