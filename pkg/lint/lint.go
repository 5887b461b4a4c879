package lint

import (
	"fmt"
	"sort"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
)

// Check lints the promotion templates among objs: the steps of every Stage's
// spec.promotionTemplate, PromotionTask and ClusterPromotionTask. CustomPromotionSteps and
// tasks in objs are what step kinds and task references resolve to; a task step is checked
// inflated, as a Promotion of the Stage would run it. Other kinds are ignored.
//
// Check expects objects as manifest.Decode returns them and does not repeat its checks,
// except those about aliases. The findings are in the order of objs and, within a resource,
// in the order of its fields; nil means no problem. It is safe for concurrent use.
func Check(objs []manifest.Object, opts ...Option) []Finding {
	l := newLinter(objs)
	for _, o := range opts {
		o(l)
	}
	for i, o := range objs {
		var spec *v1.PromotionTaskSpec
		switch r := o.Resource.(type) {
		case *v1.PromotionTask:
			spec = &r.Spec
		case *v1.ClusterPromotionTask:
			spec = &r.Spec
		default:
			continue
		}
		// A task defined twice (manifest.Decode rejects that) is checked once.
		if info := l.tasks[taskKey(o.Kind, o.Project, o.Name)]; info.spec == nil {
			l.task(info, i, o, spec)
		}
	}
	for i, o := range objs {
		if s, ok := o.Resource.(*v1.Stage); ok {
			l.stage(i, o, s)
		}
	}
	l.unusedTasks()
	sort.SliceStable(l.items, func(i, j int) bool { return l.items[i].order < l.items[j].order })
	var out []Finding
	for _, it := range l.items {
		out = append(out, it.f)
	}
	return out
}

// Option tunes Check.
type Option func(*linter)

// WithStepKinds makes Check accept the step kinds for which known returns true besides the
// built-in ones and the CustomPromotionSteps of the input, e.g. the kinds that extra
// executors of dray up run. Default: none.
func WithStepKinds(known func(uses string) bool) Option {
	return func(l *linter) { l.known = known }
}

// linter holds what one Check call knows and has found.
type linter struct {
	// known accepts extra step kinds (WithStepKinds); nil accepts none.
	known func(uses string) bool
	// roles says whether a project has a role (WithRoles); nil checks no role.
	roles func(project, role string) bool
	// declared holds the roles the input declares: project/name of ServiceAccounts and Roles.
	declared map[string]bool
	// custom holds the names of the CustomPromotionSteps in the input.
	custom map[string]bool
	// tasks maps taskKey to the tasks in the input.
	tasks map[string]*taskInfo
	items []item
}

// item is a finding and the index in objs of the resource it is about.
type item struct {
	order int
	f     Finding
}

func newLinter(objs []manifest.Object) *linter {
	l := &linter{custom: map[string]bool{}, tasks: map[string]*taskInfo{}, declared: map[string]bool{}}
	for _, o := range objs {
		switch o.Resource.(type) {
		case *v1.ServiceAccount, *v1.Role:
			l.declared[o.Project+"/"+o.Name] = true
		case *v1.CustomPromotionStep:
			l.custom[o.Name] = true
		case *v1.PromotionTask, *v1.ClusterPromotionTask:
			l.tasks[taskKey(o.Kind, o.Project, o.Name)] = &taskInfo{}
		}
	}
	return l
}

// taskKey identifies a task: PromotionTasks by project and name, ClusterPromotionTasks by name.
func taskKey(kind, project, name string) string {
	if kind == v1.KindClusterPromotionTask {
		project = ""
	}
	return kind + "/" + project + "/" + name
}

// at locates a field: the resource, the field path and the step it belongs to.
type at struct {
	order                      int
	file, resource, path, step string
	// project is the resource's project; empty for cluster-wide ones.
	project string
}

func resourceAt(i int, o manifest.Object) at {
	return at{order: i, file: o.File, resource: o.Kind + "/" + o.Name, project: o.Project}
}

// field returns the location of the field suffix below a.
func (a at) field(suffix string) at {
	a.path += suffix
	return a
}

// inStep returns the location of the step at path with alias.
func (a at) inStep(path, alias string) at {
	a.path, a.step = path, alias
	return a
}

func (l *linter) report(a at, sev Severity, format string, args ...any) {
	l.items = append(l.items, item{order: a.order, f: Finding{
		File: a.file, Resource: a.resource, Path: a.path, Step: a.step,
		Msg: fmt.Sprintf(format, args...), Severity: sev,
	}})
}

func (l *linter) errorf(a at, format string, args ...any) { l.report(a, Error, format, args...) }

func (l *linter) warnf(a at, format string, args ...any) { l.report(a, Warning, format, args...) }
