package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Object is one decoded resource.
type Object struct {
	// File is the file the resource came from, as given to Decode or found by DecodeDir.
	File string
	// Kind is the resource kind, e.g. Stage.
	Kind string
	// Name is metadata.name.
	Name string
	// Project is the project of a namespaced resource, the name of a Project, and empty for
	// cluster-wide kinds.
	Project string
	// Resource is a pointer to the typed resource, e.g. *v1.Stage.
	Resource any
	// JSON is the canonical JSON encoding of Resource.
	JSON []byte
}

// Decode decodes the documents of one YAML or JSON file; file names the data in errors. Empty
// documents are skipped. It returns every problem of every document joined, each a
// *v1.FieldError, and then no objects.
func Decode(file string, data []byte, opts ...Option) ([]Object, error) {
	d := newDecoder(opts)
	d.decode(file, data)
	return d.result()
}

// DecodeFile reads and decodes the file at path, like Decode.
func DecodeFile(path string, opts ...Option) ([]Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return Decode(path, data, opts...)
}

// DecodeDir decodes every *.yaml, *.yml and *.json file under dir, recursively and in lexical
// order, skipping directories whose names start with a dot (.git). Problems of all files are
// reported together, and a resource defined twice (same kind, project and name) is a problem.
func DecodeDir(dir string, opts ...Option) ([]Object, error) {
	d := newDecoder(opts)
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if path != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		d.decode(path, data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read manifests in %s: %w", dir, err)
	}
	return d.result()
}

// decoder collects the objects and problems of one Decode or DecodeDir call.
type decoder struct {
	opts options
	objs []Object
	errs []error
	// seen maps kind/project/name to where it was first defined.
	seen map[string]string
}

func newDecoder(opts []Option) *decoder {
	d := &decoder{seen: map[string]string{}}
	for _, o := range opts {
		o(&d.opts)
	}
	return d
}

func (d *decoder) result() ([]Object, error) {
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return d.objs, nil
}

// decode appends the objects or the problems of one file.
func (d *decoder) decode(file string, data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var node yaml.Node
		err := decodeNode(dec, &node)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The stream cannot be read past a syntax error.
			d.errs = append(d.errs, &v1.FieldError{File: file, Resource: docName(n), Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
			return
		}
		if isEmpty(&node) {
			continue
		}
		d.document(file, n, &node)
	}
}

// decodeNode reads the next document; a panic in the YAML parser becomes an error.
func decodeNode(dec *yaml.Decoder, node *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return dec.Decode(node)
}

func isEmpty(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func docName(n int) string { return fmt.Sprintf("document %d", n) }

// MaxListBytes is the largest a kind: List document may be once expanded; each of its items
// is still held to MaxDocumentBytes.
const MaxListBytes = 64 << 20

// documentLimit is how large node may be: MaxListBytes for a kind: List, else
// MaxDocumentBytes.
func documentLimit(node *yaml.Node) int64 {
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node.Kind != yaml.MappingNode {
		return MaxDocumentBytes
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k, v := node.Content[i], node.Content[i+1]; k.Value == "kind" && v.Kind == yaml.ScalarNode && v.Value == "List" {
			return MaxListBytes
		}
	}
	return MaxDocumentBytes
}

// document decodes document n of file.
func (d *decoder) document(file string, n int, node *yaml.Node) {
	var problems []problem
	report := func() {
		for _, p := range problems {
			d.errs = append(d.errs, &v1.FieldError{File: file, Resource: p.resource, Path: p.path, Msg: p.msg})
		}
	}
	if dups := duplicateKeys(node, ""); len(dups) > 0 {
		for _, p := range dups {
			problems = append(problems, problem{resource: docName(n), path: p, msg: "duplicate key"})
		}
		report()
		return
	}
	if limit := documentLimit(node); expandedSize(node) > limit {
		problems = append(problems, problem{resource: docName(n), msg: tooLarge("the document")})
		report()
		return
	}
	doc, err := toJSONObject(node)
	if err != nil {
		problems = append(problems, problem{resource: docName(n), msg: err.Error()})
		report()
		return
	}
	if doc["kind"] == "List" && doc["apiVersion"] == "v1" {
		items, ok := doc["items"].([]any)
		if _, has := doc["items"]; has && !ok {
			d.errs = append(d.errs, &v1.FieldError{File: file, Resource: docName(n), Path: "items", Msg: "a List's items must be a list of resources"})
			return
		}
		for i, item := range items {
			obj, ok := item.(map[string]any)
			if !ok {
				d.errs = append(d.errs, &v1.FieldError{File: file, Resource: docName(n), Path: fmt.Sprintf("items[%d]", i), Msg: "is not a resource (a mapping with apiVersion and kind)"})
				continue
			}
			d.object(file, fmt.Sprintf("%s, items[%d]", docName(n), i), obj)
		}
		return
	}
	d.object(file, docName(n), doc)
}

// object decodes one resource, a document or an item of a List (where names it).
func (d *decoder) object(file, where string, doc map[string]any) {
	var problems []problem
	report := func() {
		for _, p := range problems {
			d.errs = append(d.errs, &v1.FieldError{File: file, Resource: p.resource, Path: p.path, Msg: p.msg})
		}
	}
	res := resourceName(doc, where)
	obj, probs := d.resource(doc)
	for _, p := range probs {
		p.resource = res
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		report()
		return
	}
	obj.File = file
	key := obj.Kind + "/" + obj.Project + "/" + obj.Name
	if where, dup := d.seen[key]; dup {
		problems = append(problems, problem{resource: res, path: "metadata.name", msg: "defined twice; first in " + where})
		report()
		return
	}
	d.seen[key] = fmt.Sprintf("%s (%s)", file, where)
	d.objs = append(d.objs, obj)
}

// resource turns one JSON object into an Object, or reports its problems.
func (d *decoder) resource(doc map[string]any) (Object, []problem) {
	kind, _ := doc["kind"].(string)
	var problems []problem
	entry, ok := v1.ResourceEntry(kind)
	switch {
	case kind == "":
		problems = append(problems, problem{path: "kind", msg: "is required; want one of " + kinds()})
	case !ok:
		problems = append(problems, problem{path: "kind", msg: fmt.Sprintf("unknown kind %q; want one of %s", kind, kinds())})
	}
	if p, bad := checkAPIVersion(doc["apiVersion"], kind); bad {
		problems = append(problems, p)
	}
	if !ok {
		return Object{}, problems
	}
	clean(doc)
	if namespaced[kind] && d.opts.defaultProject != "" {
		if meta, ok := doc["metadata"].(map[string]any); ok {
			if ns, _ := meta["namespace"].(string); ns == "" {
				meta["namespace"] = d.opts.defaultProject
			}
		}
	}
	if probs := schemaProblems(entry.Name, doc); len(probs) > 0 {
		if len(problems) > 0 { // the apiVersion is reported once, by checkAPIVersion
			probs = slices.DeleteFunc(probs, func(p problem) bool { return p.path == "apiVersion" })
		}
		return Object{}, append(problems, probs...)
	}
	typed := entry.New()
	if p := strictDecode(doc, typed); p != nil {
		return Object{}, append(problems, *p)
	}
	problems = append(problems, check(typed)...)
	if len(problems) > 0 {
		return Object{}, problems
	}
	b, err := json.Marshal(typed)
	if err != nil {
		return Object{}, []problem{{msg: "encode: " + err.Error()}}
	}
	if len(b) > MaxDocumentBytes {
		return Object{}, []problem{{msg: tooLarge("the resource")}}
	}
	meta := metaOf(typed)
	obj := Object{Kind: kind, Name: meta.Name, Resource: typed, JSON: b}
	switch {
	case kind == v1.KindProject:
		obj.Project = meta.Name
	case namespaced[kind]:
		obj.Project = meta.Namespace
	}
	return obj, nil
}

// toJSONObject converts one YAML document to a JSON object with YAML 1.1 scalars, as kubectl
// reads manifests. Numbers stay json.Number, so nothing is rounded.
func toJSONObject(node *yaml.Node) (obj map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not valid YAML: %v", r)
		}
	}()
	y, err := yaml.Marshal(node)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	j, err := k8syaml.YAMLToJSON(y)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("document is %s, want an object with apiVersion and kind", jsonType(v))
	}
	return obj, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// duplicateKeys lists the paths of keys that appear twice in one map.
func duplicateKeys(n *yaml.Node, path string) []string {
	var out []string
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, duplicateKeys(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, duplicateKeys(c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p := k
			if path != "" {
				p = path + "." + k
			}
			if seen[k] && n.Content[i].Kind == yaml.ScalarNode {
				out = append(out, p)
			}
			seen[k] = true
			out = append(out, duplicateKeys(n.Content[i+1], p)...)
		}
	}
	return out
}

// resourceName is Kind/name, or where the resource is ("document n") when its name is unknown.
func resourceName(doc map[string]any, where string) string {
	kind, _ := doc["kind"].(string)
	meta, _ := doc["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if kind == "" || name == "" {
		return where
	}
	return kind + "/" + name
}

// readMeta is the set of metadata fields Dray reads; clean drops the others.
var readMeta = map[string]bool{"name": true, "namespace": true, "labels": true, "annotations": true, "creationTimestamp": true}

// clean drops what Dray ignores in a manifest: metadata it does not read, null metadata and
// the status block.
func clean(doc map[string]any) {
	delete(doc, "status")
	meta, ok := doc["metadata"].(map[string]any)
	if !ok {
		return
	}
	for k, v := range meta {
		if !readMeta[k] || v == nil {
			delete(meta, k)
		}
	}
}

func strictDecode(doc map[string]any, into any) *problem {
	b, err := json.Marshal(doc)
	if err != nil {
		return &problem{msg: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &problem{path: te.Field, msg: fmt.Sprintf("got %s, want %s", te.Value, te.Type)}
		}
		return &problem{msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	return nil
}

func kinds() string {
	var names []string
	for _, e := range v1.Table {
		if !e.Message {
			names = append(names, e.ID)
		}
	}
	return strings.Join(names, ", ")
}
