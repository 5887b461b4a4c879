package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

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

// AutoPromotionMinInterval is the autoPromotionMinInterval of the first promotion policy that
// selects Stage s (as for auto-promotion): 0 when it sets none, or none matches. An invalid
// one is an error naming its field.
func AutoPromotionMinInterval(cfg *v1.ProjectConfig, s *v1.Stage) (time.Duration, error) {
	if cfg == nil {
		return 0, nil
	}
	for i, p := range cfg.Spec.PromotionPolicies {
		sel := v1.StageSelector{Name: p.Stage}
		if p.StageSelector != nil {
			sel = *p.StageSelector
		}
		if selects(sel, s) {
			return ReadMinInterval(fmt.Sprintf("spec.promotionPolicies[%d].autoPromotionMinInterval", i), p.AutoPromotionMinInterval)
		}
	}
	return 0, nil
}

// ReadMinInterval reads an autoPromotionMinInterval at path (for errors): empty is 0; else a
// positive Go duration.
func ReadMinInterval(path, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: %q is not a duration such as 30m or 1h", path, s)
	case d <= 0:
		return 0, fmt.Errorf("%s: %q must be positive", path, s)
	}
	return d, nil
}

// DefaultRollbackMaxAge is how old a failure may be and still be rolled back, when an
// autoRollback policy sets no maxAge: Kargo's 20 minutes.
const DefaultRollbackMaxAge = 20 * time.Minute

// RollbackPolicy is a Stage's autoRollback policy, read and checked (ReadAutoRollback).
type RollbackPolicy struct {
	// OnVerification and OnPromotion hold the phases (Failed, Errored) of a failed
	// verification run or Promotion that roll the Stage back.
	OnVerification, OnPromotion []string
	// MaxAge: failures older than this when the Stage settles are ignored.
	MaxAge time.Duration
}

// RollsBack reports whether a verification run (verification true) or Promotion that ended
// in phase rolls the Stage back.
func (p *RollbackPolicy) RollsBack(verification bool, phase string) bool {
	if p == nil {
		return false
	}
	if verification {
		return slices.Contains(p.OnVerification, phase)
	}
	return slices.Contains(p.OnPromotion, phase)
}

// AutoRollbackFor applies the project's promotion policies to Stage s: the autoRollback of
// the first policy whose selector matches (as for auto-promotion), read with
// ReadAutoRollback; nil when it has none, or no policy matches. An invalid one is an error
// naming its field.
func AutoRollbackFor(cfg *v1.ProjectConfig, s *v1.Stage) (*RollbackPolicy, error) {
	if cfg == nil {
		return nil, nil
	}
	for i, p := range cfg.Spec.PromotionPolicies {
		sel := v1.StageSelector{Name: p.Stage}
		if p.StageSelector != nil {
			sel = *p.StageSelector
		}
		if selects(sel, s) {
			if p.AutoRollback == nil {
				return nil, nil
			}
			return ReadAutoRollback(fmt.Sprintf("spec.promotionPolicies[%d].autoRollback", i), p.AutoRollback)
		}
	}
	return nil, nil
}

// ReadAutoRollback reads an autoRollback policy at path (for errors): onVerification
// defaults to [Failed] and accepts Failed, Error and Errored; onPromotion defaults to none and
// accepts Failed and Errored; maxAge defaults to DefaultRollbackMaxAge and must be a positive
// Go duration. Every problem is reported, each naming its field.
func ReadAutoRollback(path string, ar *v1.AutoRollback) (*RollbackPolicy, error) {
	p := &RollbackPolicy{MaxAge: DefaultRollbackMaxAge, OnVerification: []string{v1.PhaseFailed}}
	var errs []error
	phases := func(field string, in []string) []string {
		out := []string{}
		for i, ph := range in {
			switch ph {
			case v1.PhaseFailed, v1.PhaseErrored:
				out = append(out, ph)
			case "Error":
				out = append(out, v1.PhaseErrored)
			default:
				errs = append(errs, fmt.Errorf("%s.%s[%d]: %q is not a phase that rolls back: use Failed or Errored", path, field, i, ph))
			}
		}
		return out
	}
	if ar.OnVerification != nil {
		p.OnVerification = phases("onVerification", ar.OnVerification)
	}
	p.OnPromotion = phases("onPromotion", ar.OnPromotion)
	if ar.MaxAge != "" {
		d, err := time.ParseDuration(ar.MaxAge)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s.maxAge: %q is not a duration such as 20m or 1h", path, ar.MaxAge))
		case d <= 0:
			errs = append(errs, fmt.Errorf("%s.maxAge: %q must be positive", path, ar.MaxAge))
		default:
			p.MaxAge = d
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}
