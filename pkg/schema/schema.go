package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/drayhq/dray/schemas"
)

// ErrNoSchema means no schema file has the requested name.
var ErrNoSchema = errors.New("no such schema")

// Problem is one way a document fails its schema.
type Problem struct {
	// Path is the dotted field path, e.g. spec.steps[0].uses; empty for the document root.
	Path string
	// Msg says what is wrong.
	Msg string
}

// Error lists every Problem of one document. It is returned by Validate.
type Error struct {
	Schema   string
	Problems []Problem
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Msg
		if p.Path != "" {
			msgs[i] = p.Path + ": " + p.Msg
		}
	}
	return strings.Join(msgs, "; ")
}

var (
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
	printer  = message.NewPrinter(language.English)
)

// Exists reports whether a schema named name (e.g. "stage" or "steps/git-push") is embedded.
func Exists(name string) bool {
	_, err := fs.Stat(schemas.FS(), name+".json")
	return err == nil
}

// Validate checks doc, a value decoded from JSON (maps, slices, float64, …) or any value that
// marshals to JSON, against the schema named name (e.g. "stage" or "steps/git-push"). It
// returns an *Error listing every problem, or an error wrapping ErrNoSchema.
func Validate(name string, doc any) error {
	s, err := load(name)
	if err != nil {
		return err
	}
	inst, err := normalise(doc)
	if err != nil {
		return fmt.Errorf("validate against %s: %w", name, err)
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &Error{Schema: name, Problems: problems(ve)}
	}
	return err
}

func load(name string) (*jsonschema.Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[name]; ok {
		return s, nil
	}
	if !Exists(name) {
		return nil, fmt.Errorf("%w: %q", ErrNoSchema, name)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(loader{})
	s, err := c.Compile(schemas.BaseURL + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	compiled[name] = s
	return s, nil
}

// loader serves $ids under schemas.BaseURL from the embedded files.
type loader struct{}

func (loader) Load(url string) (any, error) {
	name, ok := strings.CutPrefix(url, schemas.BaseURL)
	if !ok {
		return nil, fmt.Errorf("schema %s is not a Dray schema", url)
	}
	f, err := schemas.FS().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// normalise turns doc into the plain JSON value model the validator expects.
func normalise(doc any) (any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
}

func problems(ve *jsonschema.ValidationError) []Problem {
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, leaf(e)...)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// leaf describes one failed keyword. Unknown and missing fields get one problem each, with
// the field in the path, so that every message names the field it is about.
func leaf(e *jsonschema.ValidationError) []Problem {
	at := e.InstanceLocation
	field := func(name string) string { return Path(append(append([]string{}, at...), name)) }
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		out := make([]Problem, len(k.Properties))
		for i, p := range k.Properties {
			out[i] = Problem{Path: field(p), Msg: "unknown field: remove it or check its spelling"}
		}
		return out
	case *kind.Required:
		out := make([]Problem, len(k.Missing))
		for i, p := range k.Missing {
			out[i] = Problem{Path: field(p), Msg: "required field is missing"}
		}
		return out
	}
	return []Problem{{Path: Path(at), Msg: e.ErrorKind.LocalizedString(printer)}}
}

// Path renders JSON-pointer tokens as a dotted field path: ["spec","steps","0","uses"] becomes
// spec.steps[0].uses.
func Path(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}
