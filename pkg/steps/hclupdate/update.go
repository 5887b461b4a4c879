package hclupdate

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Errors Apply returns for a key it cannot set; test for them with errors.Is.
var (
	// ErrKeyNotFound means the key path leads nowhere: no block has the type and labels it
	// names, an index is past the end, or it goes on past an attribute.
	ErrKeyNotFound = errors.New("key path not found")
	// ErrNotAttribute means the key path ends at a block, not an attribute.
	ErrNotAttribute = errors.New("key path addresses a block, not an attribute")
	// ErrAmbiguous means the key path matches several blocks and gives no index among them.
	ErrAmbiguous = errors.New("key path matches more than one block")
)

// Apply returns in, an HCL file, with updates applied in order. Each update replaces the bytes
// of an existing attribute's value expression, or adds the attribute at the end of its block,
// so every other byte stays. Keys must be valid (see ParseKey), values strings, numbers or
// booleans. It returns a parse error, or an error that names the key and wraps
// ErrKeyNotFound, ErrNotAttribute or ErrAmbiguous.
func Apply(in []byte, updates []Update) ([]byte, error) {
	body, err := parse(in)
	if err != nil {
		return nil, fmt.Errorf("parse HCL: %w", err)
	}
	out := in
	// Replacements found in one parse share its offsets and are applied together; an added
	// attribute changes the structure, so it is applied at once and the file parsed again.
	pending := map[int]edit{}
	last := ""
	for _, u := range updates {
		parts, err := ParseKey(u.Key)
		if err != nil {
			return nil, err
		}
		value, err := FormatValue(u.Value)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", u.Key, err)
		}
		e, err := locate(out, body, parts)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", u.Key, err)
		}
		last = u.Key
		if !e.insert {
			e.text = value
			pending[e.start] = e // a later update of the same attribute wins
			continue
		}
		nl := "\n"
		if bytes.Contains(out, []byte("\r\n")) {
			nl = "\r\n"
		}
		e.text = strings.ReplaceAll(e.before, "\n", nl) + parts[len(parts)-1].Key + " = " + value + strings.ReplaceAll(e.after, "\n", nl)
		pending[e.start] = e
		out = splice(out, pending)
		pending = map[int]edit{}
		if body, err = parse(out); err != nil {
			return nil, fmt.Errorf("key %s: the updated file does not parse: %w", u.Key, err)
		}
	}
	if len(pending) > 0 {
		out = splice(out, pending)
		// Proves the edits kept the file valid.
		if _, err := parse(out); err != nil {
			return nil, fmt.Errorf("key %s: the updated file does not parse: %w", last, err)
		}
	}
	return out, nil
}

// splice applies edits, whose ranges do not overlap, to src.
func splice(src []byte, edits map[int]edit) []byte {
	list := make([]edit, 0, len(edits))
	n := len(src)
	for _, e := range edits {
		list = append(list, e)
		n += len(e.text)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].start < list[j].start })
	out := make([]byte, 0, n)
	at := 0
	for _, e := range list {
		out = append(out, src[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, src[at:]...)
}

func parse(src []byte) (*hclsyntax.Body, error) {
	f, diags := hclsyntax.ParseConfig(src, "", hcl.InitialPos)
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("line %d, column %d: %s", d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		return nil, errors.New(msg)
	}
	return f.Body.(*hclsyntax.Body), nil
}

// edit replaces src[start:end] with text: the value, or for an insert (start == end) before
// + the new attribute + after.
type edit struct {
	start, end    int
	insert        bool
	before, after string
	text          string
}

// locate follows parts from the file's body down through blocks to an attribute.
func locate(src []byte, body *hclsyntax.Body, parts []keypath.Part) (edit, error) {
	closeBrace := -1 // of the block whose body this is; -1 at the top level
	for {
		name := parts[0].Key
		attr, isAttr := body.Attributes[name]
		if len(parts) == 1 {
			if isAttr {
				r := attr.Expr.Range()
				return edit{start: r.Start.Byte, end: r.End.Byte}, nil
			}
			for _, b := range body.Blocks {
				if b.Type == name {
					return edit{}, fmt.Errorf("%w: %s is a block", ErrNotAttribute, name)
				}
			}
			return insertion(src, body, closeBrace), nil
		}
		if isAttr {
			return edit{}, fmt.Errorf("%w: %s is an attribute, not a block", ErrKeyNotFound, name)
		}
		var matched []*hclsyntax.Block
		var rest []keypath.Part
		isBlock := false
		for _, b := range body.Blocks {
			n := len(b.Labels)
			if b.Type != name || len(parts) < 1+n || !labelsMatch(b.Labels, parts[1:1+n]) {
				continue
			}
			if len(parts) == 1+n {
				isBlock = true
				continue
			}
			if len(matched) > 0 && len(rest) != len(parts)-1-n {
				return edit{}, fmt.Errorf("%w: %s blocks with different numbers of labels match", ErrAmbiguous, name)
			}
			matched, rest = append(matched, b), parts[1+n:]
		}
		if len(matched) == 0 {
			if isBlock {
				return edit{}, fmt.Errorf("%w: it names a %s block", ErrNotAttribute, name)
			}
			return edit{}, fmt.Errorf("%w: no %s block %s", ErrKeyNotFound, name, describe(parts[1:]))
		}
		b := matched[0]
		if i, ok := rest[0].Index(); ok {
			if i >= len(matched) {
				return edit{}, fmt.Errorf("%w: index %d of %d %s block(s)", ErrKeyNotFound, i, len(matched), name)
			}
			b, rest = matched[i], rest[1:]
			if len(rest) == 0 {
				return edit{}, fmt.Errorf("%w: it names a %s block", ErrNotAttribute, name)
			}
		} else if len(matched) > 1 {
			return edit{}, fmt.Errorf("%w: %d %s blocks match; add an index, e.g. %s", ErrAmbiguous, len(matched), name, name+".0")
		}
		body, parts, closeBrace = b.Body, rest, b.CloseBraceRange.Start.Byte
	}
}

func labelsMatch(labels []string, parts []keypath.Part) bool {
	for i, l := range labels {
		if parts[i].Key != l {
			return false
		}
	}
	return true
}

// describe renders the parts after a block type for an error message.
func describe(parts []keypath.Part) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = p.String()
	}
	return "matches " + strings.Join(s, ".")
}

// insertion returns the edit that adds an attribute at the end of body: before the closing
// brace at closeBrace, or at the end of the file when closeBrace is -1. The attribute is
// indented like the body's first item, else one level (two spaces) deeper than the brace.
func insertion(src []byte, body *hclsyntax.Body, closeBrace int) edit {
	indent, ok := itemIndent(src, body)
	if closeBrace < 0 {
		e := edit{start: len(src), end: len(src), insert: true, before: indent, after: "\n"}
		if len(src) > 0 && src[len(src)-1] != '\n' {
			e.before = "\n" + indent
		}
		return e
	}
	ls := lineStart(src, closeBrace)
	braceIndent := leadingSpace(src[ls:closeBrace])
	if !ok {
		indent = braceIndent + "  "
	}
	if len(braceIndent) == closeBrace-ls { // the brace starts its line
		return edit{start: ls, end: ls, insert: true, before: indent, after: "\n"}
	}
	return edit{start: closeBrace, end: closeBrace, insert: true, before: "\n" + indent, after: "\n" + braceIndent}
}

// itemIndent returns the indentation of body's first item, if it starts its line.
func itemIndent(src []byte, body *hclsyntax.Body) (string, bool) {
	first := -1
	for _, a := range body.Attributes {
		if s := a.SrcRange.Start.Byte; first < 0 || s < first {
			first = s
		}
	}
	for _, b := range body.Blocks {
		if s := b.TypeRange.Start.Byte; first < 0 || s < first {
			first = s
		}
	}
	if first < 0 {
		return "", false
	}
	ls := lineStart(src, first)
	ws := leadingSpace(src[ls:first])
	return ws, len(ws) == first-ls
}

func lineStart(src []byte, at int) int { return bytes.LastIndexByte(src[:at], '\n') + 1 }

func leadingSpace(b []byte) string {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return string(b[:i])
}

// FormatValue returns v, a string, number or boolean, in HCL notation as hclwrite writes it:
// "quoted" strings (with ${ and %{ escaped), true or false, and numbers as they are.
func FormatValue(v any) (string, error) {
	var c cty.Value
	switch x := v.(type) {
	case string:
		c = cty.StringVal(strings.ToValidUTF8(x, "\uFFFD"))
	case bool:
		c = cty.BoolVal(x)
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		if !updates.IsScalar(x) {
			return "", fmt.Errorf("value %v is not a finite number", x)
		}
		c = number(x)
	default:
		return "", fmt.Errorf("value is %s, not a string, number or boolean", updates.TypeName(v))
	}
	return string(hclwrite.TokensForValue(c).Bytes()), nil
}

func number(v any) cty.Value {
	switch x := v.(type) {
	case float64:
		return cty.NumberFloatVal(x)
	case float32:
		return cty.NumberFloatVal(float64(x))
	case int:
		return cty.NumberIntVal(int64(x))
	case int8:
		return cty.NumberIntVal(int64(x))
	case int16:
		return cty.NumberIntVal(int64(x))
	case int32:
		return cty.NumberIntVal(int64(x))
	case int64:
		return cty.NumberIntVal(x)
	case uint:
		return cty.NumberUIntVal(uint64(x))
	case uint8:
		return cty.NumberUIntVal(uint64(x))
	case uint16:
		return cty.NumberUIntVal(uint64(x))
	case uint32:
		return cty.NumberUIntVal(uint64(x))
	}
	return cty.NumberUIntVal(v.(uint64))
}

// commitMessage is the step's commitMessage output (updates.CommitMessage).
func commitMessage(path string, list []Update) string {
	return updates.CommitMessage(path, list, func(v any) string {
		s, _ := FormatValue(v) // Validate has passed
		return s
	})
}
