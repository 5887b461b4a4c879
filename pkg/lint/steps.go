package lint

import (
	"fmt"
	"regexp"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
)

const templatePath = "spec.promotionTemplate.spec"

// stage checks a Stage's variables and promotion template, inflating the tasks it uses.
func (l *linter) stage(i int, o manifest.Object, st *v1.Stage) {
	base := resourceAt(i, o)
	globals := newNames()
	set := map[string]bool{}
	globalVars := func(path string, vars []v1.ExpressionVariable) {
		for k, v := range vars {
			l.template(base.field(fmt.Sprintf("%s[%d].value", path, k)), v.Value, &scope{vars: globals.clone(), global: true})
			globals.add(v.Name)
			if v.Value != "" {
				set[v.Name] = true
			}
		}
	}
	globalVars("spec.vars", st.Spec.Vars)
	t := st.Spec.PromotionTemplate
	if t == nil {
		return
	}
	globalVars(templatePath+".vars", t.Spec.Vars)
	l.aliases(base, templatePath+".steps", t.Spec.Steps)

	alias := func(j int) string {
		if t.Spec.Steps[j].Task != nil {
			return taskAlias(t.Spec.Steps[j].As, j)
		}
		return promotion.Alias(t.Spec.Steps[j].As, j)
	}
	outputs := newNames()
	silent := map[string]string{}
	for j, s := range t.Spec.Steps {
		a := base.inStep(fmt.Sprintf("%s.steps[%d]", templatePath, j), alias(j))
		if s.Task != nil && s.Uses == "" {
			l.taskStep(a, s, o.Project, globals, set, outputs, silent)
			continue
		}
		later := map[string]bool{}
		for k := j + 1; k < len(t.Spec.Steps); k++ {
			later[alias(k)] = true
		}
		l.step(a, s, &scope{vars: globals.clone(), outputs: outputs, later: later, silent: silent})
		outputs.add(a.step)
	}
}

// step checks one step that uses a step kind: its kind, vars, if and config. The vars of sc
// grow by the step's own.
func (l *linter) step(a at, s v1.PromotionStep, sc *scope) {
	l.uses(a, s)
	l.stepVars(a, s.Vars, sc)
	sc.statusOK = true
	if s.If != "" {
		if templated(s.If) {
			l.template(a.field(".if"), s.If, sc)
		} else {
			l.errorf(a.field(".if"), "%q has no ${{ }} delimiters: it stays a string and the step errors at run time; write \"${{ %s }}\"", s.If, strings.TrimSpace(s.If))
		}
	}
	l.config(a, s.Uses, s.Config, sc)
}

// stepVars checks step-level vars, each seeing the ones before it; it adds them to sc.vars.
func (l *linter) stepVars(a at, vars []v1.ExpressionVariable, sc *scope) {
	for k, v := range vars {
		l.template(a.field(fmt.Sprintf(".vars[%d].value", k)), v.Value, sc)
		sc.vars.add(v.Name)
	}
}

// uses checks that a step names a step kind that exists.
func (l *linter) uses(a at, s v1.PromotionStep) {
	switch {
	case s.Uses == "" && s.Task == nil:
		l.errorf(a, "must set uses (a step kind) or task")
		return
	case s.Uses != "" && s.Task != nil:
		l.errorf(a, "must set exactly one of uses or task, not both")
	case s.Uses == "":
		return
	}
	if _, builtin := steps.ExecutorFor(s.Uses); builtin || l.custom[s.Uses] || l.known != nil && l.known(s.Uses) {
		return
	}
	l.errorf(a.field(".uses"), "unknown step kind %q: neither a built-in step nor a CustomPromotionStep in the input", s.Uses)
}

var reserved = regexp.MustCompile(`^(step|task)-[0-9]+$`)

// aliases reports aliases that are reserved or used twice in one list of steps.
func (l *linter) aliases(base at, path string, list []v1.PromotionStep) {
	seen := map[string]int{}
	for i, s := range list {
		alias := strings.TrimSpace(s.As)
		if alias == "" {
			continue
		}
		a := base.inStep(fmt.Sprintf("%s[%d].as", path, i), alias)
		if reserved.MatchString(alias) {
			l.errorf(a, "alias %q is reserved for steps without an alias; choose another name", alias)
		}
		if j, dup := seen[alias]; dup {
			l.errorf(a, "alias %q is also the alias of steps[%d]; aliases must be unique", alias, j)
			continue
		}
		seen[alias] = i
	}
}
