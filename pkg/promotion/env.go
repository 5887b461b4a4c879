package promotion

import (
	"fmt"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// Env builds the expression environment of step i (docs/expressions.md#variables): ctx; the promotion's
// vars in order, each seeing the ones before it and no outputs; the step's own vars, which see
// outputs (for a step inflated from a task, the task's chosen defaults and the task step's vars
// come first in that list); task.outputs inside a task; and the status functions.
func Env(ev *expr.Evaluator, p *v1.Promotion, i int, data Data) (*expr.Env, error) {
	step := p.Spec.Steps[i]
	ctx := map[string]any{
		"project":   p.Metadata.Namespace,
		"stage":     p.Spec.Stage,
		"promotion": p.Metadata.Name,
		"uiBaseUrl": data.UIBaseURL,
		"meta": map[string]any{
			"promotion": map[string]any{"actor": Actor(p),
				// It moves the Stage back to Freight it held before, or is an auto-rollback
				// (docs/expressions.md#ctx).
				"rollback": p.Status.Rollback || p.Metadata.Annotations[v1.AnnotationRollback] == "true"},
			"step": map[string]any{"alias": step.As},
		},
	}
	var freight []v1.Freight
	if f := p.Status.Freight; f != nil {
		freight = append([]v1.Freight{*f}, p.Status.Collection...)
		ctx["targetFreight"] = map[string]any{
			"name": f.Metadata.Name, "alias": f.Alias, "origin": map[string]any{"name": f.Origin.Name},
		}
	}
	outputs := make(map[string]any, len(p.Status.State))
	for alias, out := range p.Status.State {
		outputs[alias] = out
	}
	vars := map[string]any{}
	env := &expr.Env{
		Ctx: ctx, Vars: vars, Freight: freight, SecretVars: map[string]bool{},
		Secret: data.Secret, SharedSecret: data.SharedSecret,
		ConfigMap: data.ConfigMap, SharedConfigMap: data.SharedConfigMap,
		FreightMetadata: data.FreightMetadata, FreightStatus: data.FreightStatus, StageMetadata: data.StageMetadata,
		Requested: data.Warehouses,
	}
	setVar := func(v v1.ExpressionVariable, field string) error {
		val, secret, err := ev.TemplateSecret(v.Value, env)
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		vars[v.Name] = val
		env.SecretVars[v.Name] = secret // a later var of the same name may not be secret
		return nil
	}
	for _, v := range p.Spec.Vars {
		if err := setVar(v, "vars."+v.Name); err != nil {
			return nil, err
		}
	}
	env.Outputs = outputs
	task, _ := TaskOf(step.As)
	if task != "" {
		env.TaskOutputs = map[string]any{}
		for alias, out := range p.Status.State {
			if t, inner := TaskOf(alias); t == task {
				env.TaskOutputs[inner] = out
			}
		}
	}
	for _, v := range step.Vars {
		if err := setVar(v, fmt.Sprintf("step %q: vars.%s", step.As, v.Name)); err != nil {
			return nil, err
		}
	}
	env.Failed = Failed(p, i)
	env.Status = func(alias string) string {
		// Inside a task, status() sees only the task instance's own steps: a top-level
		// step, another task's step, or a qualified "task::x" is not found and gives "".
		if task != "" {
			return StepStatus(p, task+TaskSeparator+alias)
		}
		return StepStatus(p, alias)
	}
	return env, nil
}

// Data gives expressions what they read from outside the Promotion: secrets, config maps and
// the metadata of Freight and Stages (docs/expressions.md#data-functions). A nil function makes the
// expression function that needs it fail with "not available here".
type Data struct {
	// UIBaseURL is ctx.uiBaseUrl: the gateway's URL as people reach it, for links in
	// messages; it may be empty.
	UIBaseURL string

	Secret          func(name string) (map[string]string, error)
	SharedSecret    func(name string) (map[string]string, error)
	ConfigMap       func(name string) (map[string]string, error)
	SharedConfigMap func(name string) (map[string]string, error)
	FreightMetadata func(name string) (map[string]any, error)
	FreightStatus   func(name string) (map[string]any, error)
	StageMetadata   func(name string) (map[string]any, error)
	// Warehouses returns the Warehouses of the Stage's requested Freight, in order, from
	// which imageFrom, commitFrom and chartFrom without an origin argument decide their
	// origin (expr.Env.Requested); nil decides from the Freight collection alone.
	Warehouses func() ([]v1.Warehouse, error)
}
