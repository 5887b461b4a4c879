package promotion

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// ErrNotPromotable means the Stage has no steps to run.
var ErrNotPromotable = errors.New("stage has no promotion steps")

// Request is what a Promotion is created from.
type Request struct {
	Project string
	Stage   *v1.Stage
	Freight *v1.Freight
	// Name of the new Promotion (see Name).
	Name string
	// Actor is who asked, e.g. email:alice@example.com; empty for automation.
	Actor string
	Now   time.Time
	// Tasks finds the tasks the Stage's steps use; nil when there are none.
	Tasks TaskResolver
	// Collection is the other Freight the Stage holds, one per origin besides Freight's.
	Collection []v1.Freight
}

// New builds a Pending Promotion: the Stage's steps are copied and every step gets its alias
// (step-<n> by default), the Stage's and template's vars are copied, and the Freight is
// recorded as it is now.
func New(r Request) (*v1.Promotion, error) {
	tmpl := r.Stage.Spec.PromotionTemplate
	if tmpl == nil || len(tmpl.Spec.Steps) == 0 {
		return nil, fmt.Errorf("stage %q: %w: a Stage without steps cannot be promoted to", r.Stage.Metadata.Name, ErrNotPromotable)
	}
	vars := append(append([]v1.ExpressionVariable{}, r.Stage.Spec.Vars...), tmpl.Spec.Vars...)
	var steps []v1.PromotionStep
	for i, s := range tmpl.Spec.Steps {
		if s.Task == nil {
			s.As = Alias(s.As, i)
			steps = append(steps, s)
			continue
		}
		inner, err := inflate(s, i, vars, r.Tasks)
		if err != nil {
			return nil, fmt.Errorf("stage %q: %w", r.Stage.Metadata.Name, err)
		}
		steps = append(steps, inner...)
	}
	now := r.Now.UTC()
	p := &v1.Promotion{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindPromotion},
		Metadata: v1.ObjectMeta{Name: r.Name, Namespace: r.Project, CreationTimestamp: &now},
		Spec:     v1.PromotionSpec{Stage: r.Stage.Metadata.Name, Freight: r.Freight.Metadata.Name, Vars: vars, Steps: steps},
		Status: v1.PromotionStatus{
			Phase: v1.PhasePending, Freight: r.Freight, Collection: r.Collection, Rollback: Rollback(r.Stage, r.Freight),
		},
	}
	if r.Actor != "" {
		p.Metadata.Annotations = map[string]string{v1.AnnotationCreateActor: r.Actor}
	}
	return p, nil
}

// Rollback reports whether promoting f moves stage back to Freight it held before: f is in
// the Stage's freightHistory but is not the newest entry of its origin there (that one is the
// Freight the Stage holds now, and promoting it again is no rollback).
func Rollback(stage *v1.Stage, f *v1.Freight) bool {
	newest := true
	for _, h := range stage.Status.FreightHistory {
		if h.Origin.Name != "" && h.Origin.Name != f.Origin.Name {
			continue
		}
		if h.Freight == f.Metadata.Name {
			return !newest
		}
		newest = false
	}
	return false
}

// Alias is a step's alias: as, trimmed, or step-<i+1>.
func Alias(as string, i int) string {
	if as = strings.TrimSpace(as); as != "" {
		return as
	}
	return "step-" + strconv.Itoa(i+1)
}

// Actor is the Promotion's creator without its prefix (email:, <claim>:, kubernetes:), as
// ctx.meta.promotion.actor shows it.
func Actor(p *v1.Promotion) string {
	a := p.Metadata.Annotations[v1.AnnotationCreateActor]
	if _, rest, ok := strings.Cut(a, ":"); ok {
		return rest
	}
	return a
}

func taskKind(t *v1.PromotionTaskReference) string {
	if t.Kind == "" {
		return v1.KindPromotionTask
	}
	return t.Kind
}
