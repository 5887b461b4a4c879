package lint

import (
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/promotion"
)

// taskInfo is what Stages need to know about a task of the input to check it inflated.
type taskInfo struct {
	name    string // Kind "name", for messages
	spec    *v1.PromotionTaskSpec
	aliases []string // inner aliases, in order
	// composeAt is the index of the first compose-output step, or -1.
	composeAt int
	// free are the reads that only a Stage using the task can resolve.
	free []freeRef
	used bool
}

// task checks a PromotionTask or ClusterPromotionTask on its own, and records in info what
// the Stages that use it must define.
func (l *linter) task(info *taskInfo, i int, o manifest.Object, spec *v1.PromotionTaskSpec) {
	base := resourceAt(i, o)
	info.name = o.Kind + " " + strconv.Quote(o.Name)
	info.spec = spec
	info.composeAt = -1
	l.aliases(base, "spec.steps", spec.Steps)

	declared := newNames()
	for _, v := range spec.Vars {
		declared.add(v.Name)
	}
	all := map[string]bool{}
	for j, s := range spec.Steps {
		alias := promotion.Alias(s.As, j)
		info.aliases = append(info.aliases, alias)
		all[alias] = true
		if s.Uses == "compose-output" && info.composeAt < 0 {
			info.composeAt = j
		}
	}

	// Defaults become the first step vars of every inner step (docs/resources.md#how-a-task-becomes-steps); each sees
	// the defaults before it.
	defaults := newNames()
	for k, v := range spec.Vars {
		if v.Value != "" {
			l.template(base.field(fmt.Sprintf("spec.vars[%d].value", k)), v.Value, &scope{
				vars: defaults, inTask: true, taskOutputs: anyNames(), free: &info.free, inner: -1,
			})
		}
		defaults.add(v.Name)
	}

	taskOutputs := newNames()
	for j, s := range spec.Steps {
		alias := info.aliases[j]
		a := base.inStep(fmt.Sprintf("spec.steps[%d]", j), alias)
		delete(all, alias)
		if s.Task != nil {
			l.errorf(a.field(".task"), "a task cannot use another task; copy its steps here")
			continue
		}
		later := make(map[string]bool, len(all))
		for k := range all {
			later[k] = true
		}
		l.step(a, s, &scope{
			vars: declared.clone(), inTask: true, taskOutputs: taskOutputs.clone(), later: later,
			free: &info.free, inner: j,
		})
		taskOutputs.add(alias)
	}
}

// taskStep checks template step i of a Stage, which uses a task, and the task's steps as
// this Stage inflates them. globals are the Stage and template variables; set are those with
// a non-empty value. It adds the aliases the task step defines to outputs.
func (l *linter) taskStep(a at, s v1.PromotionStep, project string, globals names, set map[string]bool, outputs names, silent map[string]string) {
	if s.If != "" || s.Config != nil || s.ContinueOnError || s.Retry != nil {
		l.errorf(a, "a task step may only have task, as and vars; move if, config, continueOnError and retry into the task's steps")
	}
	ref := *s.Task
	if ref.Kind == "" {
		ref.Kind = v1.KindPromotionTask
	}
	alias := a.step
	info := l.tasks[taskKey(ref.Kind, project, ref.Name)]
	if info == nil || info.spec == nil {
		where := "on the server"
		if ref.Kind == v1.KindPromotionTask {
			where += " in project " + strconv.Quote(project)
		}
		l.warnf(a.field(".task"), "%s %q is not in the input: it must exist %s", ref.Kind, ref.Name, where)
		l.stepVars(a, s.Vars, &scope{vars: anyNames(), outputs: outputs, inTask: true, taskOutputs: anyNames(), silent: silent})
		outputs.add(alias)
		outputs.prefixes[alias+promotion.TaskSeparator] = true
		return
	}
	info.used = true

	// docs/resources.md#task-variables: a variable without a default needs a value, from the globals or
	// from this step. An empty string counts as not set.
	given := map[string]bool{}
	for _, v := range s.Vars {
		if v.Value != "" {
			given[v.Name] = true
		}
	}
	visible := globals.clone()
	for _, v := range info.spec.Vars {
		if v.Value != "" {
			visible.add(v.Name)
			continue
		}
		if !set[v.Name] && !given[v.Name] {
			l.errorf(a.field(".vars"), "missing value for variable %q of %s: set it in this step's vars or as a Stage or template variable (an empty string counts as unset)", v.Name, info.name)
		}
	}
	l.stepVars(a, s.Vars, &scope{vars: visible, outputs: outputs, inTask: true, taskOutputs: anyNames(), silent: silent})

	stepVars := newNames()
	for _, v := range s.Vars {
		stepVars.add(v.Name)
	}
	for _, fr := range info.free {
		l.resolveFree(fr, info, a, globals, stepVars, outputs)
	}
	for _, inner := range info.aliases {
		outputs.add(alias + promotion.TaskSeparator + inner)
	}
	outputs.add(alias)
	if info.composeAt < 0 {
		silent[alias] = info.name
	}
}

// resolveFree checks a read inside a task against the Stage that uses it from the task step
// at use: variables come from globals or the task step's vars, outputs from the template
// steps before the task step or from the steps of this task instance before the read.
func (l *linter) resolveFree(fr freeRef, info *taskInfo, use at, globals, stepVars, outputs names) {
	where := fmt.Sprintf(" when %s runs it as step %q", use.resource, use.step)
	switch fr.ref.kind {
	case refVar:
		if !globals.has(fr.ref.name) && !stepVars.has(fr.ref.name) {
			l.errorf(fr.at, "%s: %s declares no variable %q, and it is not defined%s", member("vars", fr.ref.name), info.name, fr.ref.name, where)
		}
	case refOutput:
		upTo := fr.inner
		if upTo < 0 { // a default: it is part of every inner step's vars
			upTo = len(info.aliases)
		}
		visible := outputs.clone()
		for _, inner := range info.aliases[:upTo] {
			visible.add(use.step + promotion.TaskSeparator + inner)
		}
		if info.composeAt >= 0 && info.composeAt < upTo {
			visible.add(use.step)
		}
		if !visible.has(fr.ref.name) {
			msg := fmt.Sprintf("no earlier step has alias %q%s", fr.ref.name, where)
			if _, inner, ok := strings.Cut(fr.ref.name, promotion.TaskSeparator); ok || info.hasAlias(fr.ref.name) {
				if !ok {
					inner = fr.ref.name
				}
				msg += "; read an earlier step of this task as " + member("task.outputs", inner)
			}
			l.errorf(fr.at, "%s: %s", member("outputs", fr.ref.name), msg)
		}
	}
}

func (t *taskInfo) hasAlias(alias string) bool {
	for _, a := range t.aliases {
		if a == alias {
			return true
		}
	}
	return false
}

// unusedTasks warns about the variables that tasks read without declaring them, when no
// Stage of the input uses the task to show where they come from.
func (l *linter) unusedTasks() {
	for _, info := range l.tasks {
		if info.used || info.spec == nil {
			continue
		}
		for _, fr := range info.free {
			if fr.ref.kind == refVar {
				l.warnf(fr.at, "%s: %s declares no variable %q: it is only defined if the Stage using the task or its task step defines it; declare it in spec.vars", member("vars", fr.ref.name), info.name, fr.ref.name)
			}
		}
	}
}

// taskAlias is the alias of template step i when it uses a task: as, trimmed, or task-<i+1>.
func taskAlias(as string, i int) string {
	if as = strings.TrimSpace(as); as != "" {
		return as
	}
	return "task-" + strconv.Itoa(i+1)
}
