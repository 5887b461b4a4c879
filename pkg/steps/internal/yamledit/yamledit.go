// Package yamledit sets scalars in a YAML document, keeping its comments, order and layout:
// the yaml-update step's edit, which helm-update-chart also makes to Chart.yaml. Only the text
// of each addressed scalar is replaced, and the result is checked to read back as asked.
package yamledit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Errors Apply returns; test for them with errors.Is. The wording follows Kargo's
// (key path not found, key path does not address a scalar node, error unmarshaling input), so
// that a search for Kargo's message finds Dray's too.
var (
	// ErrKeyNotFound means the key path leads nowhere in the first document: a key is
	// missing, a list index is not a number or is past the end of the list.
	ErrKeyNotFound = errors.New("key path not found")
	// ErrNotScalar means the key path ends at a map, a list or an alias.
	ErrNotScalar = errors.New("key path does not address a scalar node")
	// ErrParse means the file is not YAML.
	ErrParse = errors.New("error unmarshaling input")
	// ErrNotVerified means the edited text would not read back as the values asked for, with
	// everything else unchanged; nothing is written then.
	ErrNotVerified = errors.New("the updated YAML does not read back as asked")
)

// MaxLineLength is the longest line, in bytes without its line ending, that Apply handles.
const MaxLineLength = 1 << 20

// edit replaces the text of one scalar: from byte start of line to byte end of line endLine
// (the lines between are removed), then removes lines through dropTo (a block scalar's
// content).
type edit struct {
	line, start  int
	endLine, end int
	dropTo       int
	text         string
	node         *yaml.Node
	key          string
	value        any
}

// Apply returns in with updates applied as the yaml-update step does (see the package
// documentation): only the text of each addressed scalar is replaced, so comments, quoting of
// other values, flow mappings and layout survive. Keys must be valid key paths. It returns an
// error wrapping ErrKeyNotFound or ErrNotScalar that names the key, ErrParse, or
// ErrNotVerified when the result would not read back as asked.
func Apply(in []byte, list []updates.Update) ([]byte, error) {
	// The output has LF line endings; parsing CRLF input would attach comments elsewhere.
	in = bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrParse, err)
	}
	src := lines(in)
	for i, line := range src {
		if len(line) > MaxLineLength {
			return nil, fmt.Errorf("line %d is longer than %d bytes", i+1, MaxLineLength)
		}
	}
	byNode := map[*yaml.Node]int{} // a later update of the same value wins
	var edits []edit
	for _, u := range list {
		parts, err := keypath.Parse(u.Key)
		if err != nil {
			return nil, err
		}
		n, at, err := find(&doc, parts)
		if err != nil {
			return nil, fmt.Errorf("error finding key %s: %w", u.Key, err)
		}
		e, err := span(src, n, at)
		if err != nil {
			return nil, fmt.Errorf("error finding key %s: %w", u.Key, err)
		}
		e.text, e.node, e.key, e.value = formatIn(u.Value, at.flow || flowContext(src[e.line], e.start)), n, u.Key, u.Value
		if i, ok := byNode[n]; ok {
			edits[i] = e
			continue
		}
		byNode[n] = len(edits)
		edits = append(edits, e)
	}
	// Right to left, bottom up: an edit never moves the text of one still to come.
	slices.SortFunc(edits, func(a, b edit) int {
		if a.line != b.line {
			return b.line - a.line
		}
		return b.start - a.start
	})
	out := slices.Clone(src)
	for _, e := range edits {
		before, after := out[e.line][:e.start], out[e.endLine][e.end:]
		var line []byte
		line = append(line, before...)
		if len(before) > 0 && (before[len(before)-1] == ':' || before[len(before)-1] == '-') {
			line = append(line, ' ') // "key:" or "-" with no value yet
		}
		line = append(line, e.text...)
		line = append(line, after...)
		last := max(e.endLine, e.dropTo)
		out = slices.Replace(out, e.line, last+1, line)
	}
	var buf bytes.Buffer
	buf.Grow(len(in) + 64)
	for _, line := range out {
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := verify(&doc, buf.Bytes(), edits); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// span finds the text of scalar n in src: after its anchor and tag, through its closing
// quote, the end of a plain value (before a comment) or a block scalar's header, whose content
// lines (those indented deeper than its key or list dash) it drops. A plain value over
// several lines is refused.
func span(src [][]byte, n *yaml.Node, at place) (edit, error) {
	e := edit{line: n.Line - 1, dropTo: -1}
	if e.line < 0 || e.line >= len(src) {
		return e, fmt.Errorf("%w: the value's position is outside the file", ErrKeyNotFound)
	}
	line := src[e.line]
	i := byteOffset(line, n.Column-1)
	// Keep an anchor (&name) and a tag (!tag) before the value: aliases still resolve.
	for i < len(line) && (line[i] == '&' || line[i] == '!') {
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	e.start, e.endLine = i, e.line
	switch n.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle) {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		l, end, ok := closingQuote(src, e.line, i, n.Style&yaml.DoubleQuotedStyle != 0)
		if !ok {
			return e, fmt.Errorf("%w: its quoted value has no closing quote", ErrNotScalar)
		}
		e.endLine, e.end = l, end
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The header: the indicator, then chomping and indentation indicators.
		end := i + 1
		for end < len(line) && strings.IndexByte("+-0123456789", line[end]) >= 0 {
			end++
		}
		e.end = end
		indent := indentOf(line)
		if at.keyCol >= 0 {
			indent = at.keyCol
		}
		last := e.line
		for l := e.line + 1; l < len(src); l++ {
			if len(bytes.TrimSpace(src[l])) == 0 {
				continue
			}
			if indentOf(src[l]) <= indent {
				break
			}
			last = l
		}
		if last > e.line {
			e.dropTo = last
		}
	default:
		end := plainEnd(line, i, at.flow || flowContext(line, i))
		if got := strings.TrimSpace(string(line[i:end])); got != n.Value && !(n.Tag == "!!null" && got == "") {
			return e, fmt.Errorf("%w: its plain value runs over several lines; write it on one line or quote it", ErrNotScalar)
		}
		e.end = end
	}
	return e, nil
}

// closingQuote finds the end (just past the closing quote) of the quoted scalar that opens at
// src[line][start], on that line or a later one.
func closingQuote(src [][]byte, line, start int, double bool) (int, int, bool) {
	quote := byte('\'')
	if double {
		quote = '"'
	}
	i := start + 1
	for l := line; l < len(src); l, i = l+1, 0 {
		s := src[l]
		for ; i < len(s); i++ {
			switch {
			case double && s[i] == '\\':
				i++
			case s[i] == quote && !double && i+1 < len(s) && s[i+1] == '\'':
				i++ // '' is an escaped quote
			case s[i] == quote:
				return l, i + 1, true
			}
		}
	}
	return 0, 0, false
}

// plainEnd is where a plain scalar that starts at line[i] ends: before " #", in a flow
// collection before , ] } or ": ", and without trailing blanks.
func plainEnd(line []byte, i int, flow bool) int {
	end := len(line)
	for j := i; j < len(line); j++ {
		c := line[j]
		if c == '#' && j > i && (line[j-1] == ' ' || line[j-1] == '\t') {
			end = j
			break
		}
		if flow && (c == ',' || c == ']' || c == '}' || c == ':' && (j+1 == len(line) || line[j+1] == ' ')) {
			end = j
			break
		}
	}
	for end > i && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	return end
}

// flowContext reports whether position i of line is inside a flow collection opened on the
// same line ({…} or […]), ignoring brackets in quotes. A flow collection opened on an earlier
// line is found by find instead.
func flowContext(line []byte, i int) bool {
	depth := 0
	var quote byte
	for j := 0; j < i && j < len(line); j++ {
		c := line[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth > 0
}

// indentOf counts the spaces a line starts with.
func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// FormatValue renders v as yaml-update writes it in block style: strings that parse as a
// number or a boolean, or that are valid JSON, in double quotes, as Kargo writes them; other
// strings as they are when they read back as the same string, else in double quotes; numbers
// and booleans with %v.
func FormatValue(v any) string { return formatIn(v, false) }

// formatIn is FormatValue for a value inside a flow collection ({…} or […]) when flow is
// true, where , [ ] { } also need quotes.
func formatIn(v any, flow bool) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("%v", v)
	}
	if looksTyped(s) || !plainSafe(s, flow) {
		return strconv.Quote(s) // Go's escapes are YAML double-quoted escapes too
	}
	return s
}

func looksTyped(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseBool(s); err == nil {
		return true
	}
	return json.Valid([]byte(s))
}

// yaml11Words read as booleans or null in YAML 1.1, which Helm's and Kubernetes' parsers
// (sigs.k8s.io/yaml) still follow: written plain, they would not read back as strings there.
var yaml11Words = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true, "true": true, "false": true,
	"null": true, "~": true,
}

// plainSafe reports whether s, written without quotes as a value, reads back as the string s.
func plainSafe(s string, flow bool) bool {
	if s == "" || yaml11Words[strings.ToLower(s)] || strings.ContainsAny(s, "\n\r\t") || !utf8.ValidString(s) {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	var got map[string]any
	if err := yaml.Unmarshal([]byte("k: "+s+"\n"), &got); err != nil {
		return false
	}
	v, ok := got["k"].(string)
	return ok && v == s
}

// place is where find found a scalar: in a flow collection or not, and the 0-based column of
// its key when it is a map's value (-1 for a list item).
type place struct {
	flow   bool
	keyCol int
}

// find walks parts from n and returns the scalar node they address, and its place.
func find(n *yaml.Node, parts []keypath.Part) (*yaml.Node, place, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, place{}, fmt.Errorf("%w: the document is empty", ErrKeyNotFound)
		}
		n = n.Content[0]
	}
	at := place{keyCol: -1}
	for i, p := range parts {
		where := keypath.String(parts[:i])
		if where == "" {
			where = "the document's root"
		}
		if n.Kind == yaml.AliasNode {
			return nil, place{}, fmt.Errorf("%w: %s is an alias of &%s; update the anchored value instead", ErrNotScalar, where, n.Value)
		}
		at.flow = at.flow || n.Style&yaml.FlowStyle != 0
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if k := n.Content[j]; k.Kind == yaml.ScalarNode && k.Value == p.Key {
					next, at.keyCol = n.Content[j+1], k.Column-1
					break
				}
			}
			if next == nil {
				return nil, place{}, fmt.Errorf("%w: %s has no key %q", ErrKeyNotFound, where, p.Key)
			}
			n = next
		case yaml.SequenceNode:
			idx, ok := p.Index()
			if !ok {
				return nil, place{}, fmt.Errorf("%w: %s is a list and %q is not a list index", ErrKeyNotFound, where, p.Key)
			}
			if idx >= len(n.Content) {
				return nil, place{}, fmt.Errorf("%w: index %d is past the end of %s (length %d)", ErrKeyNotFound, idx, where, len(n.Content))
			}
			n, at.keyCol = n.Content[idx], -1
		default:
			return nil, place{}, fmt.Errorf("%w: %s is a plain value, not a map or a list", ErrKeyNotFound, where)
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n, at, nil
	case yaml.AliasNode:
		return nil, place{}, fmt.Errorf("%w: it is an alias of &%s; update the anchored value instead", ErrNotScalar, n.Value)
	case yaml.MappingNode:
		return nil, place{}, fmt.Errorf("%w: it is a map", ErrNotScalar)
	default:
		return nil, place{}, fmt.Errorf("%w: it is a list", ErrNotScalar)
	}
}

// verify checks that out reads back as the original document with each edited scalar set to
// the value asked for, and every other node — value, tag, anchor and comments — unchanged.
func verify(orig *yaml.Node, out []byte, edits []edit) error {
	var got yaml.Node
	if err := yaml.Unmarshal(out, &got); err != nil {
		return fmt.Errorf("%w: it does not parse: %w", ErrNotVerified, err)
	}
	edited := make(map[*yaml.Node]edit, len(edits))
	for _, e := range edits {
		edited[e.node] = e
	}
	return same(orig, &got, edited, "")
}

func same(a, b *yaml.Node, edited map[*yaml.Node]edit, at string) error {
	where := at
	if where == "" {
		where = "the document's root"
	}
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return fmt.Errorf("%w: %s changed shape", ErrNotVerified, where)
	}
	if comment(a.HeadComment) != comment(b.HeadComment) || comment(a.LineComment) != comment(b.LineComment) ||
		comment(a.FootComment) != comment(b.FootComment) || a.Anchor != b.Anchor {
		return fmt.Errorf("%w: a comment or anchor at %s changed", ErrNotVerified, where)
	}
	if e, ok := edited[a]; ok {
		var want yaml.Node
		if err := yaml.Unmarshal([]byte(FormatValue(e.value)), &want); err != nil || len(want.Content) == 0 {
			return fmt.Errorf("%w: key %s: %v cannot be written as YAML", ErrNotVerified, e.key, e.value)
		}
		w := want.Content[0]
		s, isString := e.value.(string)
		if isString && (b.Value != s || b.Tag != "!!str") || !isString && (b.Value != w.Value || b.Tag != w.Tag) {
			return fmt.Errorf("%w: key %s would read back as %s %q, not %q", ErrNotVerified, e.key, b.Tag, b.Value, FormatValue(e.value))
		}
		return nil
	}
	if a.Kind == yaml.ScalarNode && (a.Value != b.Value || a.Tag != b.Tag) {
		return fmt.Errorf("%w: %s changed from %q to %q", ErrNotVerified, where, a.Value, b.Value)
	}
	if a.Kind == yaml.AliasNode && a.Value != b.Value {
		return fmt.Errorf("%w: the alias at %s changed", ErrNotVerified, where)
	}
	for i := range a.Content {
		child := at
		if a.Kind == yaml.MappingNode && i%2 == 1 {
			child = join(at, a.Content[i-1].Value)
		} else if a.Kind == yaml.SequenceNode {
			child = join(at, strconv.Itoa(i))
		}
		if err := same(a.Content[i], b.Content[i], edited, child); err != nil {
			return err
		}
	}
	return nil
}

// comment drops the carriage returns of CRLF input, which the output does not keep.
func comment(s string) string { return strings.ReplaceAll(s, "\r", "") }

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// lines splits in the way bufio.ScanLines does: at '\n', dropping one '\r' before it, with a
// last line only when it is not empty.
func lines(in []byte) [][]byte {
	var out [][]byte
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		if i < 0 {
			out = append(out, bytes.TrimSuffix(in, []byte("\r")))
			break
		}
		out = append(out, bytes.TrimSuffix(in[:i], []byte("\r")))
		in = in[i+1:]
	}
	return out
}

// byteOffset converts a column counted in runes, as the YAML parser counts, to a byte offset
// in line, clamped to the line's length.
func byteOffset(line []byte, col int) int {
	off := 0
	for ; col > 0 && off < len(line); col-- {
		_, size := utf8.DecodeRune(line[off:])
		off += size
	}
	return off
}
