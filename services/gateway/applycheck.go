package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/lint"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/store"
)

// storedFile marks the stored resources that check adds to a batch for lint to resolve
// against; findings about them are not the batch's.
const storedFile = "(stored)"

// check runs, on a decoded batch, everything that can refuse it before anything is written:
// dray lint's checks (with the stored PromotionTasks, ClusterPromotionTasks and
// CustomPromotionSteps as the batch's context), the resources the batch names, and the
// Freight aliases it claims. It returns every problem as a *v1.FieldError, joined, or
// another error when the store cannot be read.
func (a *api) check(ctx context.Context, objs []manifest.Object) error {
	stored, err := a.lintContext(ctx, objs)
	if err != nil {
		return err
	}
	var problems []error
	// A wait-for-approval step's approver roles must be roles the project has (or that the
	// batch declares): one it lacks matches nobody.
	opts := []lint.Option{lint.WithRoles(func(project, role string) bool { return a.auth.policies.Get(project).HasRole(role) })}
	if a.route != nil {
		opts = append(opts, lint.WithStepKinds(func(uses string) bool { _, ok := a.route(uses); return ok }))
	}
	for _, f := range lint.Check(append(append([]manifest.Object{}, objs...), stored...), opts...) {
		if f.Severity == lint.Error && f.File != storedFile {
			problems = append(problems, fieldError(f))
		}
	}
	refs, err := lint.References(objs, a.exists(ctx))
	if err != nil {
		return err
	}
	for _, f := range refs {
		problems = append(problems, fieldError(f))
	}
	aliases, err := a.checkAliases(ctx, objs)
	if err != nil {
		return err
	}
	return errors.Join(append(problems, aliases...)...)
}

func fieldError(f lint.Finding) *v1.FieldError {
	msg := f.Msg
	if f.Step != "" {
		msg = "step " + strconv.Quote(f.Step) + ": " + msg
	}
	return &v1.FieldError{File: f.File, Resource: f.Resource, Path: f.Path, Msg: msg}
}

// lintContext reads the stored resources that the batch's templates may use: the
// PromotionTasks of its projects, every ClusterPromotionTask and CustomPromotionStep.
func (a *api) lintContext(ctx context.Context, objs []manifest.Object) ([]manifest.Object, error) {
	var out []manifest.Object
	projects := map[string]bool{}
	for _, o := range objs {
		if o.Project != "" && o.Kind != v1.KindProject {
			projects[o.Project] = true
		}
	}
	for p := range projects {
		tasks, err := store.List[v1.PromotionTask](ctx, a.Bus, a.Bus.Resources, bus.ResourceKey(p, v1.KindPromotionTask, ">"))
		if err != nil {
			return nil, err
		}
		for i := range tasks {
			out = append(out, manifest.Object{File: storedFile, Kind: v1.KindPromotionTask, Name: tasks[i].Metadata.Name, Project: p, Resource: &tasks[i]})
		}
	}
	cluster, err := store.List[v1.ClusterPromotionTask](ctx, a.Bus, a.Bus.Resources, bus.ResourceKey("", v1.KindClusterPromotionTask, ">"))
	if err != nil {
		return nil, err
	}
	for i := range cluster {
		out = append(out, manifest.Object{File: storedFile, Kind: v1.KindClusterPromotionTask, Name: cluster[i].Metadata.Name, Resource: &cluster[i]})
	}
	custom, err := store.List[v1.CustomPromotionStep](ctx, a.Bus, a.Bus.Resources, bus.ResourceKey("", v1.KindCustomPromotionStep, ">"))
	if err != nil {
		return nil, err
	}
	for i := range custom {
		out = append(out, manifest.Object{File: storedFile, Kind: v1.KindCustomPromotionStep, Name: custom[i].Metadata.Name, Resource: &custom[i]})
	}
	return out, nil
}

// exists looks a resource up in dray-resources.
func (a *api) exists(ctx context.Context) lint.Lookup {
	return func(kind, project, name string) (bool, error) {
		_, err := a.Bus.Resources.Get(ctx, bus.ResourceKey(project, kind, name))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, jetstream.ErrKeyNotFound):
			return false, nil
		}
		return false, err
	}
}

// checkAliases finds the Freight of the batch whose alias is held by another Freight, stored
// or in the batch. store.CreateFreight claims aliases one by one while it writes, so without
// this a collision was found only after the resources before it had been stored.
func (a *api) checkAliases(ctx context.Context, objs []manifest.Object) ([]error, error) {
	var problems []error
	inBatch := map[string]string{} // project/alias → Freight ID
	for _, o := range objs {
		f, ok := o.Resource.(*v1.Freight)
		if !ok {
			continue
		}
		alias := f.Alias
		if alias == "" {
			alias = f.Metadata.Labels[v1.LabelAlias]
		}
		if alias == "" {
			continue
		}
		id := freight.ID(f)
		refuse := func(owner string) {
			problems = append(problems, &v1.FieldError{File: o.File, Resource: o.Kind + "/" + o.Name, Path: "alias",
				Msg: fmt.Sprintf("alias %q is taken by Freight %s of project %q: choose another", alias, owner, o.Project)})
		}
		key := o.Project + "/" + alias
		if owner, dup := inBatch[key]; dup && owner != id {
			refuse(owner)
			continue
		}
		inBatch[key] = id
		owner, err := store.FreightByAlias(ctx, a.Bus, o.Project, alias)
		if err != nil {
			return nil, fmt.Errorf("look up alias %q: %w", alias, err)
		}
		if owner != "" && owner != id {
			refuse(owner)
		}
	}
	return problems, nil
}
