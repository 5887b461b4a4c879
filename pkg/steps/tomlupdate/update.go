package tomlupdate

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Errors Apply returns for a key it cannot set; test for them with errors.Is.
var (
	// ErrKeyNotFound means the key path leads nowhere: a key is missing, a list index is not
	// a number or is past the end of the list.
	ErrKeyNotFound = errors.New("key path not found")
	// ErrNotScalar means the key path ends at a table, an array or an array of tables.
	ErrNotScalar = errors.New("key path does not address a scalar value")
)

// value is a node of the document tree Apply builds: a table (keys), an array or array of
// tables (items), or a scalar (raw, its bytes in the file).
type value struct {
	kind  unstable.Kind
	keys  map[string]*value
	items []*value
	raw   unstable.Range
}

func newTable(k unstable.Kind) *value { return &value{kind: k, keys: map[string]*value{}} }

func (v *value) isTable() bool {
	return v.kind == unstable.Table || v.kind == unstable.InlineTable
}

func (v *value) isList() bool { return v.kind == unstable.Array || v.kind == unstable.ArrayTable }

// Apply returns in with updates applied. It parses the document to find the exact bytes of
// every addressed value and replaces only those bytes with the TOML encoding of the new value,
// so comments and layout stay. Keys must be valid key paths. It returns an error wrapping
// ErrKeyNotFound or ErrNotScalar that names the key, or a parse error.
func Apply(in []byte, updates []Update) ([]byte, error) {
	root, err := parse(in)
	if err != nil {
		return nil, fmt.Errorf("parse TOML: %w", err)
	}
	type edit struct {
		at   unstable.Range
		text string
	}
	edits := map[uint32]edit{} // by offset; a later update of the same value wins
	for _, u := range updates {
		parts, err := keypath.Parse(u.Key)
		if err != nil {
			return nil, err
		}
		v, err := find(root, parts)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", u.Key, err)
		}
		edits[v.raw.Offset] = edit{at: v.raw, text: FormatValue(u.Value)}
	}
	list := make([]edit, 0, len(edits))
	for _, e := range edits {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].at.Offset < list[j].at.Offset })
	var out strings.Builder
	out.Grow(len(in) + 64)
	last := 0
	for _, e := range list {
		out.Write(in[last:e.at.Offset])
		out.WriteString(e.text)
		last = int(e.at.Offset + e.at.Length)
	}
	out.Write(in[last:])
	return []byte(out.String()), nil
}

// parse builds the document tree of in.
func parse(in []byte) (*value, error) {
	root := newTable(unstable.Table)
	current := root
	var p unstable.Parser
	p.Reset(in)
	for p.NextExpression() {
		e := p.Expression()
		var err error
		switch e.Kind {
		case unstable.KeyValue:
			err = setKeyValue(&p, current, e)
		case unstable.Table:
			current, err = descend(root, keyParts(e.Key()), false)
		case unstable.ArrayTable:
			current, err = descend(root, keyParts(e.Key()), true)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := p.Error(); err != nil {
		return nil, err
	}
	return root, nil
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// descend returns the table a [table] or [[array.table]] header names, creating implicit
// tables on the way; through an array of tables it goes into the last element.
func descend(root *value, parts []string, arrayTable bool) (*value, error) {
	t := root
	for i, k := range parts {
		lastPart := i == len(parts)-1
		next, ok := t.keys[k]
		switch {
		case lastPart && arrayTable:
			if !ok {
				next = &value{kind: unstable.ArrayTable}
				t.keys[k] = next
			}
			if next.kind != unstable.ArrayTable {
				return nil, fmt.Errorf("[[%s]]: %s is not an array of tables", strings.Join(parts, "."), k)
			}
			elem := newTable(unstable.Table)
			next.items = append(next.items, elem)
			return elem, nil
		case !ok:
			next = newTable(unstable.Table)
			t.keys[k] = next
		case next.kind == unstable.ArrayTable && len(next.items) > 0:
			next = next.items[len(next.items)-1]
		case !next.isTable():
			return nil, fmt.Errorf("[%s]: %s is not a table", strings.Join(parts, "."), k)
		}
		t = next
	}
	return t, nil
}

// setKeyValue records a key = value expression (the key possibly dotted) in table t.
func setKeyValue(p *unstable.Parser, t *value, e *unstable.Node) error {
	parts := keyParts(e.Key())
	for _, k := range parts[:len(parts)-1] {
		next, ok := t.keys[k]
		if !ok {
			next = newTable(unstable.Table)
			t.keys[k] = next
		}
		if !next.isTable() {
			return fmt.Errorf("%s: %s is not a table", strings.Join(parts, "."), k)
		}
		t = next
	}
	v, err := build(p, e.Value())
	if err != nil {
		return err
	}
	t.keys[parts[len(parts)-1]] = v
	return nil
}

// build turns a value node into the tree: arrays and inline tables recursively, scalars with
// their byte range.
func build(p *unstable.Parser, n *unstable.Node) (*value, error) {
	switch n.Kind {
	case unstable.Array:
		v := &value{kind: unstable.Array}
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			item, err := build(p, c)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		return v, nil
	case unstable.InlineTable:
		v := newTable(unstable.InlineTable)
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			if err := setKeyValue(p, v, c); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	return &value{kind: n.Kind, raw: n.Raw}, nil
}

// find walks parts from the root and returns the scalar they address.
func find(v *value, parts []keypath.Part) (*value, error) {
	for i, p := range parts {
		switch {
		case v.isTable():
			next, ok := v.keys[p.Key]
			if !ok {
				return nil, ErrKeyNotFound
			}
			v = next
		case v.isList():
			idx, ok := p.Index()
			if !ok {
				return nil, fmt.Errorf("%w: %s is an array and %q is not an index", ErrKeyNotFound, keypath.String(parts[:i]), p.Key)
			}
			if idx >= len(v.items) {
				return nil, fmt.Errorf("%w: index %d is past the end of %s (length %d)", ErrKeyNotFound, idx, keypath.String(parts[:i]), len(v.items))
			}
			v = v.items[idx]
		default:
			return nil, ErrKeyNotFound
		}
	}
	switch {
	case v.isTable():
		return nil, fmt.Errorf("%w: it is a table", ErrNotScalar)
	case v.kind == unstable.ArrayTable:
		return nil, fmt.Errorf("%w: it is an array of tables", ErrNotScalar)
	case v.kind == unstable.Array:
		return nil, fmt.Errorf("%w: it is an array", ErrNotScalar)
	}
	return v, nil
}

// FormatValue renders v in TOML notation: a string as a literal string ('…') when it can be
// one, else as a basic string ("…") with escapes; a float64 always as a float (42.0); other
// integers as integers; booleans as true or false.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return formatString(x)
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprintf("%v", v)
}

func formatString(s string) string {
	// Config values come from JSON and are valid UTF-8; anything else could not be read back.
	s = strings.ToValidUTF8(s, "\uFFFD")
	literal := true
	for _, r := range s {
		if r == '\'' || r == 0x7f || r < 0x20 && r != '\t' {
			literal = false
			break
		}
	}
	if literal {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	var s string
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e16) {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	} else {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// commitMessage is the step's commitMessage output (updates.CommitMessage).
func commitMessage(path string, list []Update) string {
	return updates.CommitMessage(path, list, FormatValue)
}
