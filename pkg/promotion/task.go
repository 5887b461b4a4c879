package promotion

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// TaskSeparator joins a task step's alias and an inner step's alias: pr::open-pr.
const TaskSeparator = "::"

// ErrTaskNotFound is what a TaskResolver returns for a task that does not exist.
var ErrTaskNotFound = errors.New("task not found")

// TaskResolver returns the spec of the PromotionTask or ClusterPromotionTask a step names.
type TaskResolver func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error)

// TaskOf splits an inflated step's alias into its task's alias and its own: "pr::open" gives
// ("pr", "open"); an alias outside a task gives ("", alias).
func TaskOf(alias string) (task, inner string) {
	if t, in, ok := strings.Cut(alias, TaskSeparator); ok {
		return t, in
	}
	return "", alias
}

// inflate replaces template step i, a task step, by the task's steps (docs/resources.md#how-a-task-becomes-steps):
// inner step j gets alias <T>::<its alias or step-<j+1>>, and its vars become the task's
// chosen defaults, then the task step's vars, then its own.
func inflate(s v1.PromotionStep, i int, global []v1.ExpressionVariable, tasks TaskResolver) ([]v1.PromotionStep, error) {
	field := fmt.Sprintf("spec.promotionTemplate.spec.steps[%d]", i)
	if s.Uses != "" || s.If != "" || s.Config != nil || s.ContinueOnError || s.Retry != nil {
		return nil, fmt.Errorf("%s: a task step may only have task, as and vars", field)
	}
	if s.Task.Kind != "" && s.Task.Kind != v1.KindPromotionTask && s.Task.Kind != v1.KindClusterPromotionTask {
		return nil, fmt.Errorf("%s.task.kind: %q is not PromotionTask or ClusterPromotionTask", field, s.Task.Kind)
	}
	if tasks == nil {
		return nil, fmt.Errorf("%s: %w: %s %q (no tasks available)", field, ErrTaskNotFound, taskKind(s.Task), s.Task.Name)
	}
	spec, err := tasks(*s.Task)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %q: %w", field, taskKind(s.Task), s.Task.Name, err)
	}
	alias := strings.TrimSpace(s.As)
	if alias == "" {
		alias = "task-" + strconv.Itoa(i+1)
	}
	vars, err := taskVars(spec.Vars, global, s.Vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %q: %w", field, taskKind(s.Task), s.Task.Name, err)
	}
	out := make([]v1.PromotionStep, len(spec.Steps))
	for j, inner := range spec.Steps {
		if inner.Task != nil {
			return nil, fmt.Errorf("%s: %s %q: steps[%d]: a task cannot use another task", field, taskKind(s.Task), s.Task.Name, j)
		}
		inner.As = alias + TaskSeparator + Alias(inner.As, j)
		inner.Vars = append(append(append([]v1.ExpressionVariable{}, vars...), s.Vars...), inner.Vars...)
		out[j] = inner
	}
	return out, nil
}

// taskVars chooses the task's defaults (docs/resources.md#task-variables): a global variable with a value
// hides the default; else a default is used; else the task step must give a value. An empty
// string counts as not set.
func taskVars(declared, global, given []v1.ExpressionVariable) ([]v1.ExpressionVariable, error) {
	has := func(list []v1.ExpressionVariable, name string) bool {
		for _, v := range list {
			if v.Name == name && v.Value != "" {
				return true
			}
		}
		return false
	}
	var out []v1.ExpressionVariable
	for _, v := range declared {
		switch {
		case has(global, v.Name):
		case v.Value != "":
			out = append(out, v)
		case !has(given, v.Name):
			return nil, fmt.Errorf("missing value for variable %q", v.Name)
		}
	}
	return out, nil
}
