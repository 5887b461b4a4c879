package lint

import (
	"fmt"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/promotion"
)

// Lookup reports whether a resource of kind and name exists outside the input, e.g. stored
// on the server; project is empty for cluster-wide kinds. Its error is returned as is.
type Lookup func(kind, project, name string) (bool, error)

// References checks that every resource the input names exists, in the input or through
// stored: the Warehouse of a Freight's origin, the Warehouses and upstream Stages a Stage
// requests Freight from, the PromotionTask or ClusterPromotionTask of a task step, and the
// MessageChannel or ClusterMessageChannel a send-message step or an EventRouter names (when
// the name is not an expression). Each missing one is an Error naming the field. A nil stored finds nothing
// outside the input.
func References(objs []manifest.Object, stored Lookup) ([]Finding, error) {
	r := &refChecker{stored: stored, input: map[string]bool{}}
	for _, o := range objs {
		r.input[refKey(o.Kind, o.Project, o.Name)] = true
	}
	for i, o := range objs {
		a := resourceAt(i, o)
		var err error
		switch res := o.Resource.(type) {
		case *v1.Freight:
			err = r.need(a.field("origin.name"), res.Origin.Kind, o.Project, res.Origin.Name)
		case *v1.Stage:
			err = r.stage(a, o.Project, &res.Spec)
		case *v1.PromotionTask:
			err = r.steps(a, "spec.steps", o.Project, res.Spec.Steps)
		case *v1.ClusterPromotionTask:
			err = r.steps(a, "spec.steps", "", res.Spec.Steps)
		case *v1.EventRouter:
			for j, ch := range res.Spec.Channels {
				if ch.Kind != v1.KindMessageChannel && ch.Kind != v1.KindClusterMessageChannel {
					continue // the manifest checks report it
				}
				if err = r.need(a.field(fmt.Sprintf("spec.channels[%d].name", j)), ch.Kind, o.Project, ch.Name); err != nil {
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return r.found, nil
}

type refChecker struct {
	stored Lookup
	// input holds the refKey of every resource of the input.
	input map[string]bool
	found []Finding
}

// refKey identifies a resource; cluster-wide kinds have no project.
func refKey(kind, project, name string) string {
	if clusterKinds[kind] {
		project = ""
	}
	return kind + "/" + project + "/" + name
}

var clusterKinds = map[string]bool{
	v1.KindClusterPromotionTask: true, v1.KindClusterMessageChannel: true,
	v1.KindCustomPromotionStep: true, v1.KindProject: true,
}

// need reports, at a, a resource that neither the input nor stored holds.
func (r *refChecker) need(a at, kind, project, name string) error {
	if kind == "" || name == "" || templated(name) {
		return nil // a missing field is the manifest checks' to report; an expression is known only at run time
	}
	if clusterKinds[kind] {
		project = ""
	}
	if r.input[refKey(kind, project, name)] {
		return nil
	}
	if r.stored != nil {
		ok, err := r.stored(kind, project, name)
		if err != nil {
			return fmt.Errorf("look up %s %q: %w", kind, name, err)
		}
		if ok {
			return nil
		}
	}
	where := "on the server"
	if project != "" {
		where = fmt.Sprintf("in project %q", project)
	}
	r.found = append(r.found, Finding{
		File: a.file, Resource: a.resource, Path: a.path, Step: a.step, Severity: Error,
		Msg: fmt.Sprintf("%s %q does not exist %s: apply it first or in the same batch", kind, name, where),
	})
	return nil
}

func (r *refChecker) stage(a at, project string, s *v1.StageSpec) error {
	for i, rf := range s.RequestedFreight {
		p := fmt.Sprintf("spec.requestedFreight[%d]", i)
		if err := r.need(a.field(p+".origin.name"), rf.Origin.Kind, project, rf.Origin.Name); err != nil {
			return err
		}
		for j, up := range rf.Sources.Stages {
			if err := r.need(a.field(fmt.Sprintf("%s.sources.stages[%d]", p, j)), v1.KindStage, project, up); err != nil {
				return err
			}
		}
	}
	if t := s.PromotionTemplate; t != nil {
		if err := r.steps(a, templatePath+".steps", project, t.Spec.Steps); err != nil {
			return err
		}
	}
	if v := s.Verification; v != nil {
		return r.steps(a, "spec.verification.steps", project, v.Steps)
	}
	return nil
}

// steps checks the tasks and message channels that a list of steps names.
func (r *refChecker) steps(a at, path, project string, list []v1.PromotionStep) error {
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if s.Task != nil {
			kind := s.Task.Kind
			if kind == "" {
				kind = v1.KindPromotionTask
			}
			if err := r.need(a.inStep(p+".task.name", taskAlias(s.As, i)), kind, project, s.Task.Name); err != nil {
				return err
			}
			continue
		}
		if s.Uses != "send-message" {
			continue
		}
		ch, _ := s.Config["channel"].(map[string]any)
		kind, _ := ch["kind"].(string)
		name, _ := ch["name"].(string)
		if kind != v1.KindMessageChannel && kind != v1.KindClusterMessageChannel {
			continue // the schema check reports it
		}
		if err := r.need(a.inStep(p+".config.channel.name", promotion.Alias(s.As, i)), kind, project, name); err != nil {
			return err
		}
	}
	return nil
}
