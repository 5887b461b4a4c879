package yamlparse

import (
	"encoding/json"

	"sigs.k8s.io/yaml"
)

// decode reads the first YAML document with JSON semantics: keys become strings and numbers
// float64.
func decode(data []byte) (any, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var v any
	err = json.Unmarshal(j, &v)
	return v, err
}
