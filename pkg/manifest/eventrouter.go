package manifest

import (
	"sort"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/notify"
)

// eventRouter checks an EventRouter's spec (notify.Check); that its channels exist is
// checked where stored resources are known (lint.References).
func (c *checker) eventRouter(s *v1.EventRouterSpec) {
	probs := notify.Check(s)
	paths := make([]string, 0, len(probs))
	for p := range probs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		c.add(p, probs[p])
	}
}
