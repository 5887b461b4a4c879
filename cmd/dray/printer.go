package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"
)

// The printers are k8s.io/cli-runtime's, kubectl's own: -o json, yaml, name, jsonpath= and
// go-template= behave as they do in kubectl (a list is a kind: List, jsonpath and templates
// see the objects' JSON, missing keys print nothing), and tables are laid out by its table
// printer, which hides the wide columns unless asked. Its jsonpath alone is in
// k8s.io/client-go/util/jsonpath, but the table, name and template printers would then be
// written by hand, and the graph already holds both modules through Helm.

// outputFormats lists the -o values, for help and errors.
const outputFormats = "wide, name, json, yaml, jsonpath=TEMPLATE, jsonpath-file=FILE, go-template=TEMPLATE or go-template-file=FILE"

// output is a parsed -o value.
type output struct {
	// table is set for the default table and -o wide (wide set too).
	table, wide bool
	// printer prints objects for the other formats.
	printer printers.ResourcePrinter
}

// parseOutput reads an -o value; readFile reads the FILE of jsonpath-file= and
// go-template-file=.
func parseOutput(format string, readFile func(string) ([]byte, error)) (*output, error) {
	name, arg, hasArg := strings.Cut(format, "=")
	if strings.HasSuffix(name, "-file") && hasArg {
		b, err := readFile(arg)
		if err != nil {
			return nil, fmt.Errorf("-o %s: %w", name, err)
		}
		name, arg = strings.TrimSuffix(name, "-file"), string(b)
	}
	switch name {
	case "":
		return &output{table: true}, nil
	case "wide":
		return &output{table: true, wide: true}, nil
	case "name":
		return &output{printer: &printers.NamePrinter{}}, nil
	case "json":
		return &output{printer: &printers.JSONPrinter{}}, nil
	case "yaml":
		return &output{printer: &printers.YAMLPrinter{}}, nil
	case "jsonpath", "go-template":
		if !hasArg || arg == "" {
			return nil, fmt.Errorf("-o %s needs a template, e.g. -o %s=%s", name, name, map[string]string{"jsonpath": "'{.metadata.name}'", "go-template": "'{{.metadata.name}}'"}[name])
		}
		if name == "jsonpath" {
			p, err := printers.NewJSONPathPrinter(arg)
			if err != nil {
				return nil, fmt.Errorf("-o jsonpath: %w", err)
			}
			p.AllowMissingKeys(true)
			return &output{printer: p}, nil
		}
		p, err := printers.NewGoTemplatePrinter([]byte(arg))
		if err != nil {
			return nil, fmt.Errorf("-o go-template: %w", err)
		}
		p.AllowMissingKeys(true)
		return &output{printer: p}, nil
	}
	return nil, fmt.Errorf("unknown output format %q: use %s", format, outputFormats)
}

// column is one column of a table: its header, whether only -o wide shows it, and its cell.
type column[T any] struct {
	name string
	wide bool
	cell func(*T) string
}

// table is a kubectl table of items.
func table[T any](cols []column[T], items []T) *metav1.Table {
	t := &metav1.Table{}
	for _, c := range cols {
		d := metav1.TableColumnDefinition{Name: c.name, Type: "string"}
		if c.wide {
			d.Priority = 1
		}
		t.ColumnDefinitions = append(t.ColumnDefinitions, d)
	}
	for i := range items {
		row := metav1.TableRow{}
		for _, c := range cols {
			row.Cells = append(row.Cells, c.cell(&items[i]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// printTable prints t with kubectl's table printer.
func printTable(w io.Writer, t *metav1.Table, wide bool) error {
	return printers.NewTablePrinter(printers.PrintOptions{Wide: wide}).PrintObj(t, w)
}

// printObjects prints items (one object when single) with o's printer: each item is
// converted to its JSON form, which carries apiVersion and kind; a list is a kind: List.
func printObjects[T any](w io.Writer, o *output, items []T, single bool) error {
	objs := make([]unstructured.Unstructured, len(items))
	for i := range items {
		b, err := json.Marshal(&items[i])
		if err != nil {
			return err
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		objs[i] = unstructured.Unstructured{Object: m}
	}
	var obj runtime.Object
	if single && len(objs) == 1 {
		obj = &objs[0]
	} else {
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}, Items: objs}
		list.SetResourceVersion("")
		obj = list
	}
	return o.printer.PrintObj(obj, w)
}

// age is how long ago t was, as kubectl says it: 45s, 5m, 3h, 2d.
func age(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(*t))
}
