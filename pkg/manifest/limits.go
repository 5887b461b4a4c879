package manifest

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// MaxDocumentBytes is the largest a resource may be once its YAML aliases are expanded: 1 MiB,
// the largest message NATS carries by default, and so the largest value a resource bucket
// can hold. A document over it is refused before it is expanded (docs/limits.md).
const MaxDocumentBytes = 1 << 20

// MaxSteps is the most steps one list may hold: a Stage's promotion template or
// verification, a PromotionTask or a ClusterPromotionTask (docs/limits.md). Kargo sets no
// number of its own; its bound is Kubernetes' object size, which a few thousand steps reach.
const MaxSteps = 1000

// expansion measures what a YAML node becomes once every alias in it is replaced by its
// anchor's value, without building it: the size of a billion-laughs document is known in a
// walk of the few nodes it is written with.
type expansion struct {
	// memo holds the expanded size of each node already measured, so an anchor aliased a
	// million times is measured once.
	memo map[*yaml.Node]int64
	// open holds the nodes being measured, to stop on an alias to an enclosing anchor.
	open map[*yaml.Node]bool
}

// expandedSize estimates the bytes of the JSON n expands to: its scalars' text plus a few
// bytes of punctuation per node. It stops counting past MaxDocumentBytes.
func expandedSize(n *yaml.Node) int64 {
	e := &expansion{memo: map[*yaml.Node]int64{}, open: map[*yaml.Node]bool{}}
	return e.size(n)
}

func (e *expansion) size(n *yaml.Node) int64 {
	if n == nil {
		return 0
	}
	if s, ok := e.memo[n]; ok {
		return s
	}
	if e.open[n] {
		return MaxDocumentBytes + 1 // an alias inside its own anchor never ends
	}
	e.open[n] = true
	defer delete(e.open, n)
	var s int64 = 4 // quotes, a separator
	switch n.Kind {
	case yaml.AliasNode:
		s = e.size(n.Alias)
	case yaml.ScalarNode:
		s += int64(len(n.Value))
	default:
		for _, c := range n.Content {
			s += e.size(c)
			if s > MaxDocumentBytes {
				break
			}
		}
	}
	s = min(s, MaxDocumentBytes+1)
	e.memo[n] = s
	return s
}

// tooLarge says why a document over MaxDocumentBytes is refused.
func tooLarge(what string) string {
	return fmt.Sprintf("%s is larger than %d KiB, the limit for one resource (YAML aliases count as often as they are used); split it into smaller resources", what, MaxDocumentBytes>>10)
}
