package yamlmerge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Merge merges docs, the first document of each input, left to right: a later scalar or list
// replaces the earlier value wholesale; maps merge key by key, recursively; keys only in one
// side are kept (new keys go after the existing ones); an explicit null in a later document
// removes the key. The first document's comments, key order and style survive. Empty
// documents are skipped. It returns the merged YAML (empty when nothing was merged), indented
// as the first document is.
func Merge(docs [][]byte) ([]byte, error) {
	var base *yaml.Node
	var style layout
	for i, data := range docs {
		n, err := parseFirst(data)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i+1, err)
		}
		if n == nil {
			continue
		}
		if base == nil {
			base, style = n, detectLayout(data)
			continue
		}
		base = merge(base, n)
	}
	if base == nil {
		return nil, nil
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(style.indent)
	if style.compactSeq {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{base},
		HeadComment: style.head, FootComment: style.foot}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// layout is what the output keeps of the first document's look.
type layout struct {
	indent     int
	compactSeq bool
	head, foot string
}

// parseFirst returns the root node of data's first document, or nil when it has none (an
// empty file, or only comments, or an explicit null).
func parseFirst(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil
	}
	root := doc.Content[0]
	// The document's own comments go on the root so that they survive re-encoding.
	if doc.HeadComment != "" {
		root.HeadComment = joinComments(doc.HeadComment, root.HeadComment)
	}
	if doc.FootComment != "" {
		root.FootComment = joinComments(root.FootComment, doc.FootComment)
	}
	return root, nil
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// merge returns over merged onto base; base is changed in place.
func merge(base, over *yaml.Node) *yaml.Node {
	base, over = resolve(base), resolve(over)
	if base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		// Scalars and lists are replaced wholesale; keep the comments written on the old value
		// when the new one has none, so a documented value stays documented.
		if over.HeadComment == "" {
			over.HeadComment = base.HeadComment
		}
		if over.LineComment == "" && over.Kind == yaml.ScalarNode && base.Kind == yaml.ScalarNode {
			over.LineComment = base.LineComment
		}
		return over
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		j := indexOf(base, k.Value)
		switch {
		case isNull(v) && j >= 0:
			base.Content = append(base.Content[:j], base.Content[j+2:]...)
		case isNull(v):
			// Removing an absent key leaves nothing behind.
		case j >= 0:
			base.Content[j+1] = merge(base.Content[j+1], v)
		default:
			base.Content = append(base.Content, k, v)
		}
	}
	return base
}

// resolve follows an alias to the node it names, so merging works on values.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func indexOf(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

var (
	indentRE     = regexp.MustCompile(`(?m)^( +)[^\s#-]`)
	compactSeqRE = regexp.MustCompile(`(?m)^( *)[^\s#-][^\n]*:[ \t]*(#[^\n]*)?\n( *)- `)
)

// detectLayout finds the first document's indentation (the smallest indentation of an
// indented line, default 2) and whether its lists sit at their key's indentation
// ("key:\n- a", as kubectl and Kargo write them).
func detectLayout(data []byte) layout {
	l := layout{indent: 2}
	smallest := 0
	for _, m := range indentRE.FindAllSubmatch(data, -1) {
		if n := len(m[1]); smallest == 0 || n < smallest {
			smallest = n
		}
	}
	if smallest >= 2 && smallest <= 8 {
		l.indent = smallest
	}
	if m := compactSeqRE.FindSubmatch(data); m != nil && len(m[1]) == len(m[3]) {
		l.compactSeq = true
	}
	return l
}
