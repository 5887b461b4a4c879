package pipeline

import (
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// AutoPromotionEnabled applies the project's promotion policies to Stage s: the first policy
// whose selector matches decides, even when it says false; none matching, or no config, means
// disabled (docs/resources.md#promotion-policies).
func AutoPromotionEnabled(cfg *v1.ProjectConfig, s *v1.Stage) bool {
	if cfg == nil {
		return false
	}
	for _, p := range cfg.Spec.PromotionPolicies {
		sel := v1.StageSelector{Name: p.Stage}
		if p.StageSelector != nil {
			sel = *p.StageSelector
		}
		if selects(sel, s) {
			return p.AutoPromotionEnabled
		}
	}
	return false
}

func selects(sel v1.StageSelector, s *v1.Stage) bool {
	for k, v := range sel.MatchLabels {
		if got, ok := s.Metadata.Labels[k]; !ok || got != v {
			return false
		}
	}
	return nameMatches(sel.Name, s.Metadata.Name)
}

func nameMatches(pattern, name string) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasPrefix(pattern, "glob:"):
		ok, err := doublestar.Match(strings.TrimPrefix(pattern, "glob:"), name)
		return err == nil && ok
	case strings.HasPrefix(pattern, "regex:"), strings.HasPrefix(pattern, "regexp:"):
		_, expr, _ := strings.Cut(pattern, ":")
		re, err := regexp.Compile(expr)
		return err == nil && re.MatchString(name)
	}
	return pattern == name
}
