// Package yamledit sets scalars in a YAML document line by line, keeping its comments,
// order and layout: the yaml-update step's edit, which helm-update-chart also makes to
// Chart.yaml.
package yamledit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
)

// Errors Apply returns for a key it cannot set; test for them with errors.Is.
var (
	// ErrKeyNotFound means the key path leads nowhere in the first document: a key is
	// missing, a list index is not a number or is past the end of the list.
	ErrKeyNotFound = errors.New("key path not found")
	// ErrNotScalar means the key path ends at a map, a list or an alias.
	ErrNotScalar = errors.New("key path does not address a scalar node")
)

// MaxLineLength is the longest line, in bytes without its line ending, that Apply handles.
const MaxLineLength = 1 << 20

// Apply returns in with updates applied, line by line, keeping every other byte; the
// yaml-update step documents the rules. Keys must be valid key paths. It returns an error wrapping
// ErrKeyNotFound or ErrNotScalar that names the key, or a parse error.
func Apply(in []byte, updates []updates.Update) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	type change struct {
		col   int // 0-based, in runes
		value string
	}
	changes := map[int]change{} // by 0-based line; a later update of a line wins
	for _, u := range updates {
		parts, err := keypath.Parse(u.Key)
		if err != nil {
			return nil, err
		}
		n, err := find(&doc, parts)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", u.Key, err)
		}
		v := FormatValue(u.Value)
		if n.Anchor != "" {
			// The node's position is that of its anchor; keep the anchor so aliases still resolve.
			v = "&" + n.Anchor + " " + v
		}
		changes[n.Line-1] = change{col: n.Column - 1, value: v}
	}

	var out bytes.Buffer
	out.Grow(len(in) + 64)
	for i, line := range lines(in) {
		if len(line) > MaxLineLength {
			return nil, fmt.Errorf("line %d is longer than %d bytes", i+1, MaxLineLength)
		}
		c, ok := changes[i]
		if !ok {
			out.Write(line)
			out.WriteByte('\n')
			continue
		}
		kept := line[:byteOffset(line, c.col)]
		out.Write(kept)
		if !bytes.HasSuffix(kept, []byte(" ")) {
			out.WriteByte(' ')
		}
		out.WriteString(c.value)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// FormatValue renders v as Apply writes it: strings that parse as a number or a boolean,
// or that are valid JSON, in double quotes; other strings as they are; anything else with %v.
func FormatValue(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("%v", v)
	}
	if looksTyped(s) {
		return strconv.Quote(s)
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

// find walks parts from n and returns the scalar node they address.
func find(n *yaml.Node, parts []keypath.Part) (*yaml.Node, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, ErrKeyNotFound
		}
		n = n.Content[0]
	}
	for i, p := range parts {
		if n.Kind == yaml.AliasNode {
			return nil, fmt.Errorf("%w: %s is an alias of &%s; update the anchored value instead",
				ErrNotScalar, keypath.String(parts[:i]), n.Value)
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if k := n.Content[j]; k.Kind == yaml.ScalarNode && k.Value == p.Key {
					next = n.Content[j+1]
					break
				}
			}
			if next == nil {
				return nil, ErrKeyNotFound
			}
			n = next
		case yaml.SequenceNode:
			idx, ok := p.Index()
			if !ok {
				return nil, fmt.Errorf("%w: %s is a list and %q is not a list index", ErrKeyNotFound, keypath.String(parts[:i]), p.Key)
			}
			if idx >= len(n.Content) {
				return nil, fmt.Errorf("%w: index %d is past the end of %s (length %d)", ErrKeyNotFound, idx, keypath.String(parts[:i]), len(n.Content))
			}
			n = n.Content[idx]
		default:
			return nil, ErrKeyNotFound
		}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n, nil
	case yaml.AliasNode:
		return nil, fmt.Errorf("%w: it is an alias of &%s; update the anchored value instead", ErrNotScalar, n.Value)
	case yaml.MappingNode:
		return nil, fmt.Errorf("%w: it is a map", ErrNotScalar)
	default:
		return nil, fmt.Errorf("%w: it is a list", ErrNotScalar)
	}
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
