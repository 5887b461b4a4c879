package schemas_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/schemas"
	"github.com/drayhq/dray/schemas/internal/gen"
)

const apiDir = "../pkg/api/v1"

// TestSchemasAreCurrent proves that the committed schemas are what the Go types generate now,
// so the two cannot drift.
func TestSchemasAreCurrent(t *testing.T) {
	for _, e := range v1.Table {
		t.Run(e.Name, func(t *testing.T) {
			want, err := gen.Schema(e, apiDir)
			if err != nil {
				t.Fatalf("gen.Schema(%s) = %v", e.Name, err)
			}
			got, err := fs.ReadFile(schemas.FS(), e.Name+".json")
			if err != nil {
				t.Fatalf("read committed schema: %v; run `go run ./cmd/schemagen` in schemas/", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("schemas/%s.json differs from the Go type %T (-generated +committed); run `go run ./cmd/schemagen` in schemas/:\n%s", e.Name, e.New(), diff)
			}
		})
	}
}

// TestExamples checks that each pkg/api/v1/testdata/<name>.yaml validates against its schema
// and survives a round trip through its Go type without losing anything.
func TestExamples(t *testing.T) {
	for _, e := range v1.Table {
		t.Run(e.Name, func(t *testing.T) {
			file := filepath.Join(apiDir, "testdata", e.Name+".yaml")
			y, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("every Table entry needs an example: %v", err)
			}
			raw, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatalf("YAMLToJSON(%s) = %v", file, err)
			}
			doc := decodeJSON(t, raw)
			if err := compile(t, e.Name+".json").Validate(doc); err != nil {
				t.Errorf("%s does not validate against %s.json: %v", file, e.Name, err)
			}

			typed := e.New()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(typed); err != nil {
				t.Fatalf("decode %s into %T = %v, want nil", file, typed, err)
			}
			again, err := json.Marshal(typed)
			if err != nil {
				t.Fatalf("json.Marshal(%T) = %v", typed, err)
			}
			if diff := cmp.Diff(doc, decodeJSON(t, again)); diff != "" {
				t.Errorf("%s changes on a round trip through %T (-example +re-encoded):\n%s", file, typed, diff)
			}
		})
	}
}

// TestFieldsMatchSchema walks every struct reachable from each Table type and checks that its
// JSON fields and the schema's properties are the same set.
func TestFieldsMatchSchema(t *testing.T) {
	for _, e := range v1.Table {
		t.Run(e.Name, func(t *testing.T) {
			var s map[string]any
			b, err := fs.ReadFile(schemas.FS(), e.Name+".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			defs, _ := s["$defs"].(map[string]any)
			w := &walker{t: t, defs: defs}
			w.walk(e.Name, reflect.TypeOf(e.New()), s)
			if w.structs == 0 {
				t.Errorf("walked no structs from %T", e.New())
			}
		})
	}
}

// TestStepSchemas checks that every step config and output schema compiles and documents
// each property.
func TestStepSchemas(t *testing.T) {
	files, err := fs.Glob(schemas.FS(), "steps/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("Glob(steps/*.json) = %v, %v, want files", files, err)
	}
	outputs, err := fs.Glob(schemas.FS(), "steps/outputs/*.json")
	if err != nil || len(outputs) == 0 {
		t.Fatalf("Glob(steps/outputs/*.json) = %v, %v, want files", outputs, err)
	}
	for _, f := range append(files, outputs...) {
		t.Run(path.Base(f), func(t *testing.T) {
			compile(t, f)
			b, err := fs.ReadFile(schemas.FS(), f)
			if err != nil {
				t.Fatal(err)
			}
			var s map[string]any
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if id, want := s["$id"], schemas.BaseURL+f; id != want {
				t.Errorf("%s: $id = %v, want %s", f, id, want)
			}
			if d, _ := s["description"].(string); d == "" {
				t.Errorf("%s: the schema has no description", f)
			}
			for _, p := range undocumented(s, "") {
				t.Errorf("%s: property %s has no description", f, p)
			}
		})
	}
}

// TestEveryStepDeclaresOutputs checks that each step with a config schema declares its
// outputs in steps/outputs/<step>.json, even when it has none, and that no output schema
// names a step without a config schema, apart from the orchestrator's steps that take any
// config (compose-output) or none (fail).
func TestEveryStepDeclaresOutputs(t *testing.T) {
	configs, err := fs.Glob(schemas.FS(), "steps/*.json")
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := fs.Glob(schemas.FS(), "steps/outputs/*.json")
	if err != nil {
		t.Fatal(err)
	}
	withConfig := map[string]bool{"compose-output": true, "fail": true}
	for _, f := range configs {
		name := strings.TrimSuffix(path.Base(f), ".json")
		withConfig[name] = true
		if !slices.Contains(outputs, "steps/outputs/"+name+".json") {
			t.Errorf("step %s has a config schema but no schemas/steps/outputs/%s.json: declare its outputs (an empty object when it has none)", name, name)
		}
	}
	for _, f := range outputs {
		if name := strings.TrimSuffix(path.Base(f), ".json"); !withConfig[name] {
			t.Errorf("schemas/%s declares the outputs of %s, a step with no config schema", f, name)
		}
	}
}

// compile compiles the embedded schema file, resolving $ids under schemas.BaseURL from the
// embedded files.
func compile(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(loader{})
	s, err := c.Compile(schemas.BaseURL + file)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return s
}

type loader struct{}

func (loader) Load(url string) (any, error) {
	name, ok := strings.CutPrefix(url, schemas.BaseURL)
	if !ok {
		return nil, fs.ErrNotExist
	}
	f, err := schemas.FS().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

// decodeJSON decodes b the way the schema validator expects: numbers as json.Number.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode JSON: %v", err)
	}
	return v
}

// undocumented lists the paths of properties without a description, at any depth.
func undocumented(s map[string]any, at string) []string {
	var out []string
	if props, ok := s["properties"].(map[string]any); ok {
		for name, p := range props {
			ps, _ := p.(map[string]any)
			if d, _ := ps["description"].(string); d == "" {
				out = append(out, at+name)
			}
			out = append(out, undocumented(ps, at+name+".")...)
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := s[k].(map[string]any); ok {
			out = append(out, undocumented(sub, at+"["+k+"].")...)
		}
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		list, _ := s[k].([]any)
		for _, sub := range list {
			if m, ok := sub.(map[string]any); ok {
				out = append(out, undocumented(m, at)...)
			}
		}
	}
	if defs, ok := s["$defs"].(map[string]any); ok {
		for name, d := range defs {
			if m, ok := d.(map[string]any); ok {
				out = append(out, undocumented(m, "$defs."+name+".")...)
			}
		}
	}
	sort.Strings(out)
	return out
}

// walker compares Go types with the schema generated from them.
type walker struct {
	t       *testing.T
	defs    map[string]any
	structs int
	seen    []reflect.Type
}

func (w *walker) resolve(s map[string]any) map[string]any {
	for i := 0; i < 8; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		def, ok := w.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			w.t.Errorf("unresolvable $ref %q", ref)
			return map[string]any{}
		}
		s = def
	}
	return s
}

func (w *walker) walk(at string, t reflect.Type, s map[string]any) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s = w.resolve(s)
	switch {
	case t == reflect.TypeFor[time.Time]():
		if s["type"] != "string" {
			w.t.Errorf("%s: time.Time field has schema type %v, want string", at, s["type"])
		}
		return
	case t == reflect.TypeFor[json.RawMessage]():
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if slices.Contains(w.seen, t) {
			return
		}
		w.seen = append(w.seen, t)
		defer func() { w.seen = w.seen[:len(w.seen)-1] }()
		w.structs++
		props, _ := s["properties"].(map[string]any)
		fields := jsonFields(t)
		for name, f := range fields {
			switch p := props[name].(type) {
			case map[string]any:
				w.walk(at+"."+name, f.Type, p)
			case bool: // true: any value, as for json.RawMessage
			default:
				w.t.Errorf("%s: field %s.%s (json %q) has no schema property", at, t.Name(), f.Name, name)
			}
		}
		for name := range props {
			if _, ok := fields[name]; !ok {
				w.t.Errorf("%s: schema property %q has no field in %s", at, name, t.Name())
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 { // []byte: a base64 string
			if s["type"] != "string" {
				w.t.Errorf("%s: %s should be a base64 string, schema says %v", at, t, s["type"])
			}
			return
		}
		items, ok := s["items"].(map[string]any)
		if !ok {
			w.t.Errorf("%s: %s has no items schema", at, t)
			return
		}
		w.walk(at+"[]", t.Elem(), items)
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return
		}
		ap, ok := s["additionalProperties"].(map[string]any)
		if !ok {
			w.t.Errorf("%s: %s has no additionalProperties schema", at, t)
			return
		}
		w.walk(at+"{}", t.Elem(), ap)
	}
}

// jsonFields returns the JSON-visible fields of struct type t by name, with the fields of
// embedded structs promoted as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out[name] = f
	}
	return out
}
