package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Request returns the Stage's request for origin, or nil when it requests none.
func Request(s *v1.Stage, origin v1.FreightOrigin) *v1.FreightRequest {
	for i := range s.Spec.RequestedFreight {
		r := &s.Spec.RequestedFreight[i]
		if SameOrigin(r.Origin, origin) {
			return r
		}
	}
	return nil
}

// SameOrigin reports whether a and b name the same origin; an empty kind means Warehouse.
func SameOrigin(a, b v1.FreightOrigin) bool {
	kind := func(k string) string {
		if k == "" {
			return "Warehouse"
		}
		return k
	}
	return kind(a.Kind) == kind(b.Kind) && a.Name == b.Name
}

// Available reports whether f is available to Stage s at now (docs/resources.md#which-freight-a-stage-may-take), and when it
// is not, why, in words a user can act on. A rejected Freight is never available, not even
// when approved.
func Available(s *v1.Stage, f *v1.Freight, now time.Time) (bool, string) {
	r := Request(s, f.Origin)
	if r == nil {
		return false, fmt.Sprintf("Stage %q requests no Freight from %s %q", s.Metadata.Name, f.Origin.Kind, f.Origin.Name)
	}
	if why := Rejected(f, s.Metadata.Name); why != "" {
		return false, why
	}
	if _, ok := f.Status.ApprovedFor[s.Metadata.Name]; ok {
		return true, ""
	}
	if r.Sources.Direct {
		return true, ""
	}
	soak, err := soakTime(r.Sources.RequiredSoakTime)
	if err != nil {
		return false, fmt.Sprintf("Stage %q: requiredSoakTime: %v", s.Metadata.Name, err)
	}
	var missing []string
	for _, up := range r.Sources.Stages {
		ok, why := verifiedAndSoaked(f, up, soak, now)
		if ok && r.Sources.AvailabilityStrategy != "All" {
			return true, ""
		}
		if !ok {
			missing = append(missing, why)
		}
	}
	if len(missing) == 0 && len(r.Sources.Stages) > 0 {
		return true, ""
	}
	if len(missing) == 0 {
		return false, fmt.Sprintf("Stage %q takes Freight neither directly nor from upstream Stages", s.Metadata.Name)
	}
	return false, fmt.Sprintf("Freight %s is not available to Stage %q: %s; approve it for the Stage to promote it anyway",
		name(f), s.Metadata.Name, strings.Join(missing, "; "))
}

// Rejected says why f may not be promoted to stage (docs/resources.md#freight-rejection):
// it was rejected for that Stage or for every Stage; "" when it was not.
func Rejected(f *v1.Freight, stage string) string {
	rej, all := f.Status.Rejected, " for every Stage"
	if r, ok := f.Status.RejectedFor[stage]; ok {
		rej, all = &r, ""
	}
	if rej == nil {
		return ""
	}
	why := fmt.Sprintf("Freight %s is rejected%s", name(f), all)
	if rej.By != "" {
		why += " by " + rej.By
	}
	if rej.Reason != "" {
		why += ": " + rej.Reason
	}
	undo := "dray reject " + f.Metadata.Name + " --undo"
	if all == "" {
		undo += " --stage " + stage
	}
	return why + "; " + undo + " lets it be promoted"
}

func verifiedAndSoaked(f *v1.Freight, stage string, soak time.Duration, now time.Time) (bool, string) {
	if _, ok := f.Status.VerifiedIn[stage]; !ok {
		return false, fmt.Sprintf("not verified in %q", stage)
	}
	if soak <= 0 {
		return true, ""
	}
	if got := LongestSoak(f, stage, now); got < soak {
		return false, fmt.Sprintf("soaked %s of %s in %q", got.Round(time.Second), soak, stage)
	}
	return true, ""
}

// LongestSoak is the longest time f spent in stage while verified there: the longest
// completed soak recorded, or the time since it entered the stage if it is there now.
func LongestSoak(f *v1.Freight, stage string, now time.Time) time.Duration {
	v, ok := f.Status.VerifiedIn[stage]
	if !ok {
		return 0
	}
	longest, _ := time.ParseDuration(v.LongestSoak)
	if c, ok := f.Status.CurrentlyIn[stage]; ok && c.Since != nil {
		longest = max(longest, now.Sub(*c.Since))
	}
	return longest
}

// SoakReadyAt returns when f will have soaked long enough in stage for s's request, if it is
// verified there and still soaking; ok is false when waiting would not help.
func SoakReadyAt(s *v1.Stage, f *v1.Freight, now time.Time) (at time.Time, ok bool) {
	r := Request(s, f.Origin)
	if r == nil {
		return time.Time{}, false
	}
	soak, err := soakTime(r.Sources.RequiredSoakTime)
	if err != nil || soak <= 0 {
		return time.Time{}, false
	}
	var best time.Time
	for _, up := range r.Sources.Stages {
		c, in := f.Status.CurrentlyIn[up]
		if _, verified := f.Status.VerifiedIn[up]; !verified || !in || c.Since == nil {
			continue
		}
		t := now.Add(soak - LongestSoak(f, up, now))
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	return best, !best.IsZero() && best.After(now)
}

func soakTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 1h30m", s)
	}
	return d, nil
}

// Candidate returns the Freight auto-promotion would pick for origin (docs/resources.md#auto-promotion): the
// newest available one by discoveredAt (ties: name descending), or nil. With the MatchUpstream
// selection policy only Freight the one upstream Stage holds is a candidate, and there is none
// while it (transiently) holds more than one of the origin.
func Candidate(s *v1.Stage, origin v1.FreightOrigin, all []v1.Freight, now time.Time) *v1.Freight {
	upstream := ""
	if r := Request(s, origin); r != nil && r.Sources.AutoPromotionOptions != nil &&
		r.Sources.AutoPromotionOptions.SelectionPolicy == v1.SelectMatchUpstream && len(r.Sources.Stages) == 1 {
		upstream = r.Sources.Stages[0]
	}
	var list []*v1.Freight
	for i := range all {
		f := &all[i]
		if !SameOrigin(f.Origin, origin) {
			continue
		}
		if _, in := f.Status.CurrentlyIn[upstream]; upstream != "" && !in {
			continue
		}
		if ok, _ := Available(s, f, now); ok {
			list = append(list, f)
		}
	}
	if upstream != "" && len(list) > 1 {
		return nil
	}
	slices.SortFunc(list, func(a, b *v1.Freight) int {
		if c := discovered(b).Compare(discovered(a)); c != 0 {
			return c
		}
		return strings.Compare(b.Metadata.Name, a.Metadata.Name)
	})
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

func discovered(f *v1.Freight) time.Time {
	switch {
	case f.DiscoveredAt != nil:
		return *f.DiscoveredAt
	case f.Metadata.CreationTimestamp != nil:
		return *f.Metadata.CreationTimestamp
	}
	return time.Time{}
}

func name(f *v1.Freight) string {
	if f.Alias != "" {
		return fmt.Sprintf("%s (%s)", f.Alias, f.Metadata.Name)
	}
	return f.Metadata.Name
}

// Promotable reports whether s can be promoted to at all: a Stage without steps is a
// control-flow Stage.
func Promotable(s *v1.Stage) bool {
	return s.Spec.PromotionTemplate != nil && len(s.Spec.PromotionTemplate.Spec.Steps) > 0
}

// Approvable reports why f cannot be approved for Stage s, or nil: approval is allowed only
// for a Stage that requests Freight from f's origin (docs/resources.md#approvals).
func Approvable(s *v1.Stage, f *v1.Freight) error {
	if Request(s, f.Origin) == nil {
		return fmt.Errorf("Stage %q requests no Freight from %s %q, so it cannot be approved there", s.Metadata.Name, f.Origin.Kind, f.Origin.Name)
	}
	return nil
}

// Current returns the Freight a Stage holds, from its history (newest first): the newest
// entry of each origin, newest first. A Stage holds one Freight per origin it requests.
func Current(history []v1.StageHistoryEntry) []v1.StageHistoryEntry {
	var out []v1.StageHistoryEntry
	for _, h := range history {
		if !slices.ContainsFunc(out, func(o v1.StageHistoryEntry) bool { return SameOrigin(o.Origin, h.Origin) }) {
			out = append(out, h)
		}
	}
	return out
}

// HoldKey is the key of origin in StageStatus.AutoPromotionHolds: "<Kind>/<name>".
func HoldKey(origin v1.FreightOrigin) string {
	kind := origin.Kind
	if kind == "" {
		kind = v1.KindWarehouse
	}
	return kind + "/" + origin.Name
}
