package steptest

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/schemas"
)

// ConfigMatchesSchema checks that cfg, a step's Config struct, and schemas/steps/<step>.json
// name the same fields, at every level: each struct's JSON field names are the properties of
// the schema object it decodes, and a list of structs matches the schema's items.
func ConfigMatchesSchema(t testing.TB, step string, cfg any) {
	t.Helper()
	b, err := fs.ReadFile(schemas.FS(), "steps/"+step+".json")
	if err != nil {
		t.Fatalf("step %s has no schema: %v", step, err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schemas/steps/%s.json: %v", step, err)
	}
	matchStruct(t, "config", reflect.TypeOf(cfg), s)
}

func matchStruct(t testing.TB, at string, typ reflect.Type, s map[string]any) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	props, _ := s["properties"].(map[string]any)
	var fields, schemaProps []string
	byName := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, name)
		byName[name] = f.Type
	}
	for p := range props {
		schemaProps = append(schemaProps, p)
	}
	sort.Strings(fields)
	sort.Strings(schemaProps)
	if diff := cmp.Diff(schemaProps, fields); diff != "" {
		t.Errorf("%s: fields of %s and schema properties differ (-schema +struct):\n%s", at, typ, diff)
	}
	for name, ft := range byName {
		ps, _ := props[name].(map[string]any)
		if ps == nil {
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			matchStruct(t, at+"."+name, ft, ps)
		case ft.Kind() == reflect.Slice && elem(ft).Kind() == reflect.Struct:
			items, _ := ps["items"].(map[string]any)
			if items == nil {
				t.Errorf("%s.%s: a list of %s, but the schema has no items", at, name, elem(ft))
				continue
			}
			matchStruct(t, at+"."+name+"[]", elem(ft), items)
		}
	}
}

func elem(t reflect.Type) reflect.Type {
	t = t.Elem()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
