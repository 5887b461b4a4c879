package schema

import (
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// inlineURL is where an inline schema is compiled from; it loads nothing else.
const inlineURL = "urn:dray:inline.json"

// Compile checks that doc, a JSON schema given in a manifest (a get-user-input step's form),
// is a valid JSON schema whose root is an object schema: {"type": "object", ...}. A schema
// may not load others ($ref to a URL is refused).
func Compile(doc any) (*jsonschema.Schema, error) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON schema object, got %T", doc)
	}
	if t, _ := m["type"].(string); t != "object" {
		return nil, errors.New(`must describe an object: set "type": "object" and list the form's fields under "properties"`)
	}
	inst, err := normalise(doc)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(inlineURL, inst); err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	s, err := c.Compile(inlineURL)
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) { // against the metaschema: say where, on one line
		return nil, fmt.Errorf("invalid JSON schema: %w", &Error{Schema: "form", Problems: problems(ve)})
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	return s, nil
}

// ValidateInline checks doc against the inline schema s (see Compile). It returns an *Error
// listing every problem.
func ValidateInline(s *jsonschema.Schema, doc any) error {
	inst, err := normalise(doc)
	if err != nil {
		return err
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &Error{Schema: "form", Problems: problems(ve)}
	}
	return err
}

// noLoader refuses every URL: an inline schema stands alone.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s: an inline schema may not load other schemas", url)
}
