package yamlparse

import (
	"encoding/json"
	"errors"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// decode reads the first YAML document with JSON semantics: keys become strings and numbers
// float64. Its root may be anything, even null (~); a file of comments alone holds no
// document and is an error.
func decode(data []byte) (any, error) {
	var n yaml3.Node
	if err := yaml3.Unmarshal(data, &n); err == nil && n.Kind == 0 {
		return nil, errors.New("the file holds no YAML document, only comments")
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var v any
	err = json.Unmarshal(j, &v)
	return v, err
}
