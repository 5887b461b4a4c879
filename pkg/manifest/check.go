package manifest

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/discovery"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/names"
	"github.com/drayhq/dray/pkg/pipeline"
	"github.com/drayhq/dray/pkg/window"
)

var (
	varName  = regexp.MustCompile(`^[a-zA-Z_]\w*$`)
	reserved = regexp.MustCompile(`^(step|task)-[0-9]+$`)
)

// check applies the semantic rules of Validate to a typed resource.
func check(obj any) []problem {
	var c checker
	if m := metaOf(obj); m != nil {
		c.meta(obj, m)
	}
	switch o := obj.(type) {
	case *v1.ProjectConfig:
		if o.Metadata.Namespace != "" && o.Metadata.Name != o.Metadata.Namespace {
			c.add("metadata.name", fmt.Sprintf("must equal the project name %q", o.Metadata.Namespace))
		}
		c.windows("spec", o.Spec.PromotionWindows, false)
		c.autoRollback(o.Spec.PromotionPolicies)
	case *v1.ClusterConfig:
		if o.Metadata.Name != v1.ClusterConfigName {
			c.add("metadata.name", fmt.Sprintf("must be %q: there is one ClusterConfig", v1.ClusterConfigName))
		}
		c.windows("spec", o.Spec.PromotionWindows, true)
	case *v1.Warehouse:
		c.warehouse(&o.Spec)
	case *v1.Stage:
		c.stage(&o.Spec)
	case *v1.Freight:
		c.freight(o)
	case *v1.Promotion:
		c.vars("spec.vars", o.Spec.Vars)
		c.steps("spec.steps", o.Spec.Steps, inPromotion)
	case *v1.PromotionTask:
		c.task(&o.Spec)
	case *v1.ClusterPromotionTask:
		c.task(&o.Spec)
	case *v1.CustomPromotionStep:
		if strings.TrimSpace(o.Spec.Image) == "" {
			c.add("spec.image", "must not be empty")
		}
		if len(o.Spec.Command) == 0 {
			c.add("spec.command", "must not be empty")
		}
		c.vars("spec.env", o.Spec.Env)
	case *v1.MessageChannel:
		c.messageChannel(&o.Spec)
	case *v1.ClusterMessageChannel:
		c.messageChannel(&o.Spec)
	case *v1.EventRouter:
		c.eventRouter(&o.Spec)
	case *v1.ServiceAccount:
		c.serviceAccount(o)
	case *v1.Role:
		c.role(o)
	case *v1.RoleBinding:
		c.roleBinding(o)
	}
	return c.problems
}

type checker struct{ problems []problem }

func (c *checker) add(path, msg string) {
	c.problems = append(c.problems, problem{path: path, msg: msg})
}

func (c *checker) meta(obj any, m *v1.ObjectMeta) {
	_, isProject := obj.(*v1.Project)
	switch {
	case m.Name == "":
		c.add("metadata.name", "required field is missing")
	case isProject && names.Project(m.Name) != nil:
		c.add("metadata.name", fmt.Sprintf("%q is not a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit", m.Name))
	case names.Object(m.Name) != nil:
		c.add("metadata.name", fmt.Sprintf("%q is not a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253", m.Name))
	}
	if !namespaced[kindOf(obj)] {
		return
	}
	switch {
	case m.Namespace == "":
		c.add("metadata.namespace", "is required: name the project (a Kargo namespace) this resource belongs to")
	case names.Project(m.Namespace) != nil:
		c.add("metadata.namespace", fmt.Sprintf("%q is not a valid project name (a DNS-1123 label)", m.Namespace))
	}
}

func kindOf(obj any) string {
	if tm := typeMetaOf(obj); tm != nil {
		return tm.Kind
	}
	return ""
}

func (c *checker) warehouse(s *v1.WarehouseSpec) {
	if len(s.Subscriptions) == 0 {
		c.add("spec.subscriptions", "must list at least one subscription")
	}
	seen := map[string]int{}
	repos := map[string]int{} // repository → first subscription to it
	for i, sub := range s.Subscriptions {
		p := fmt.Sprintf("spec.subscriptions[%d]", i)
		n := 0
		for _, set := range []bool{sub.Image != nil, sub.Git != nil, sub.Chart != nil, sub.Generic != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			c.add(p, fmt.Sprintf("must have exactly one of image, git, chart or a generic type, has %d", n))
		}
		c.tagFilters(p, sub)
		if sub.Generic != nil && sub.Name == "" {
			c.add(p+".name", fmt.Sprintf("is required for a generic subscription (%s): artifactFrom() finds its artifact by that name", sub.Generic.Type))
		}
		// Several subscriptions to one repository must all be named, so that the name tells
		// their artifacts apart (Kargo #6724).
		if repo := subscribedRepo(sub); repo != "" {
			if j, dup := repos[repo]; !dup {
				repos[repo] = i
			} else if sub.Name == "" || s.Subscriptions[j].Name == "" {
				c.add(p, fmt.Sprintf("subscribes to the same repository as subscriptions[%d] (%s): name both subscriptions to tell their artifacts apart", j, repo))
			}
		}
		if sub.Name == "" {
			continue
		}
		if names.Project(sub.Name) != nil { // a subscription name is a DNS-1123 label too
			c.add(p+".name", fmt.Sprintf("%q is not a DNS-1123 label", sub.Name))
		}
		if j, dup := seen[sub.Name]; dup {
			c.add(p+".name", fmt.Sprintf("%q is also the name of subscriptions[%d]", sub.Name, j))
		} else {
			seen[sub.Name] = i
		}
	}
}

// subscribedRepo identifies what sub subscribes to: a normalised Git URL, an image repository,
// or a chart repository and name; "" for a generic subscription.
func subscribedRepo(sub v1.RepoSubscription) string {
	switch {
	case sub.Git != nil:
		return "git " + freight.NormalizeGitURL(sub.Git.RepoURL)
	case sub.Image != nil:
		return "image " + sub.Image.RepoURL
	case sub.Chart != nil:
		return "chart " + path.Join(freight.NormalizeChartURL(sub.Chart.RepoURL), sub.Chart.Name)
	}
	return ""
}

// tagFilters reports the tag filters of an image or git subscription that discovery could
// not compile: an invalid RE2 expression or a deprecated field.
func (c *checker) tagFilters(path string, sub v1.RepoSubscription) {
	var f discovery.TagFilter
	switch {
	case sub.Image != nil:
		path += ".image"
		f = discovery.TagFilter{Allow: sub.Image.AllowTagsRegexes, Ignore: sub.Image.IgnoreTagsRegexes, DeprecatedAllow: sub.Image.AllowTags, DeprecatedIgnore: sub.Image.IgnoreTags}
	case sub.Git != nil:
		path += ".git"
		f = discovery.TagFilter{Allow: sub.Git.AllowTagsRegexes, Ignore: sub.Git.IgnoreTagsRegexes, DeprecatedAllow: sub.Git.AllowTags, DeprecatedIgnore: sub.Git.IgnoreTags}
	default:
		return
	}
	_, err := f.Compile()
	if err == nil {
		return
	}
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		c.add(path, e.Error())
	}
}

func (c *checker) stage(s *v1.StageSpec) {
	c.vars("spec.vars", s.Vars)
	if len(s.RequestedFreight) == 0 {
		c.add("spec.requestedFreight", "must request Freight from at least one origin")
	}
	origins := map[v1.FreightOrigin]int{}
	for i, r := range s.RequestedFreight {
		p := fmt.Sprintf("spec.requestedFreight[%d]", i)
		c.origin(p+".origin", r.Origin)
		if j, dup := origins[r.Origin]; dup {
			c.add(p+".origin", fmt.Sprintf("%s/%s is also requested by requestedFreight[%d]", r.Origin.Kind, r.Origin.Name, j))
		} else {
			origins[r.Origin] = i
		}
		if !r.Sources.Direct && len(r.Sources.Stages) == 0 {
			c.add(p+".sources", "must set direct: true or list upstream stages")
		}
		if o := r.Sources.AutoPromotionOptions; o != nil {
			path := p + ".sources.autoPromotionOptions.selectionPolicy"
			switch o.SelectionPolicy {
			case "", v1.SelectNewestFreight:
			case v1.SelectMatchUpstream:
				if r.Sources.Direct || len(r.Sources.Stages) != 1 {
					c.add(path, "MatchUpstream needs direct: false and exactly one upstream stage")
				}
			default:
				c.add(path, fmt.Sprintf("got %q, want NewestFreight or MatchUpstream", o.SelectionPolicy))
			}
		}
	}
	if t := s.PromotionTemplate; t != nil {
		c.vars("spec.promotionTemplate.spec.vars", t.Spec.Vars)
		c.steps("spec.promotionTemplate.spec.steps", t.Spec.Steps, inTemplate)
	}
	if v := s.Verification; v != nil {
		c.steps("spec.verification.steps", v.Steps, inTemplate)
	}
	c.windows("spec", s.PromotionWindows, false)
}

// windows reports every promotion window that cannot be read, naming its field: kind,
// rrule, dtstart and dtend (or the earlier schedule, duration and time zone) are checked as
// they will be used. cluster says whether they are a ClusterConfig's.
func (c *checker) windows(path string, list []v1.PromotionWindow, cluster bool) {
	for _, err := range window.Validate(list, cluster) {
		var we *window.Error
		if !errors.As(err, &we) {
			c.add(path+".promotionWindows", err.Error())
			continue
		}
		c.add(fmt.Sprintf("%s.promotionWindows[%d].%s", path, we.Index, we.Field), we.Msg)
	}
}

// autoRollback reports every autoRollback and autoPromotionMinInterval field of the promotion
// policies that cannot be read.
func (c *checker) autoRollback(policies []v1.PromotionPolicy) {
	for i, p := range policies {
		if _, err := pipeline.ReadMinInterval(fmt.Sprintf("spec.promotionPolicies[%d].autoPromotionMinInterval", i), p.AutoPromotionMinInterval); err != nil {
			path, msg, _ := strings.Cut(err.Error(), ": ")
			c.add(path, msg)
		}
		if p.AutoRollback == nil {
			continue
		}
		_, err := pipeline.ReadAutoRollback(fmt.Sprintf("spec.promotionPolicies[%d].autoRollback", i), p.AutoRollback)
		var joined interface{ Unwrap() []error }
		if !errors.As(err, &joined) {
			continue
		}
		for _, e := range joined.Unwrap() {
			path, msg, _ := strings.Cut(e.Error(), ": ")
			c.add(path, msg)
		}
	}
}

func (c *checker) origin(path string, o v1.FreightOrigin) {
	if o.Kind != v1.KindWarehouse {
		c.add(path+".kind", fmt.Sprintf("got %q, want Warehouse", o.Kind))
	}
	if o.Name == "" {
		c.add(path+".name", "required field is missing")
	}
}

func (c *checker) freight(f *v1.Freight) {
	c.origin("origin", f.Origin)
	if len(f.Commits)+len(f.Images)+len(f.Charts)+len(f.Artifacts) == 0 {
		c.add("", "Freight must have at least one commit, image, chart or artifact")
	}
}

func (c *checker) task(s *v1.PromotionTaskSpec) {
	c.vars("spec.vars", s.Vars)
	if len(s.Steps) == 0 {
		c.add("spec.steps", "must list at least one step")
	}
	c.steps("spec.steps", s.Steps, inTask)
}

// stepList says where a list of steps is, which decides the rules for its steps.
type stepList int

const (
	inTemplate  stepList = iota // a Stage's promotion template: task steps allowed
	inTask                      // a (Cluster)PromotionTask: no task steps
	inPromotion                 // a Promotion: inflated, aliases generated by Dray
)

func (c *checker) steps(path string, list []v1.PromotionStep, where stepList) {
	if len(list) > MaxSteps {
		c.add(path, fmt.Sprintf("has %d steps, more than the limit of %d per list: split the work into PromotionTasks or Stages", len(list), MaxSteps))
		return
	}
	aliases := map[string]int{}
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		c.vars(p+".vars", s.Vars)
		switch {
		case s.Uses == "" && s.Task == nil:
			c.add(p, "must set exactly one of uses or task")
		case s.Uses != "" && s.Task != nil:
			c.add(p, "must set exactly one of uses or task, not both")
		case s.Task != nil && where != inTemplate:
			c.add(p+".task", "tasks can only be used from a Stage's promotion template; use uses")
		case s.Task != nil:
			c.taskStep(p, &s)
		}
		alias := strings.TrimSpace(s.As)
		if alias == "" {
			continue
		}
		if where != inPromotion && reserved.MatchString(alias) {
			c.add(p+".as", fmt.Sprintf("%q is reserved for steps without an alias; choose another name", alias))
		}
		if j, dup := aliases[alias]; dup {
			c.add(p+".as", fmt.Sprintf("%q is also the alias of steps[%d]", alias, j))
		} else {
			aliases[alias] = i
		}
	}
}

// taskStep checks a step that uses a task: it may carry only task, as and vars.
func (c *checker) taskStep(p string, s *v1.PromotionStep) {
	if s.Task.Name == "" {
		c.add(p+".task.name", "required field is missing")
	}
	if k := s.Task.Kind; k != "" && k != v1.KindPromotionTask && k != v1.KindClusterPromotionTask {
		c.add(p+".task.kind", fmt.Sprintf("got %q, want PromotionTask or ClusterPromotionTask", k))
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"if", s.If != ""}, {"config", s.Config != nil}, {"continueOnError", s.ContinueOnError}, {"retry", s.Retry != nil}} {
		if f.set {
			c.add(p+"."+f.name, "is not allowed on a task step (only task, as and vars are)")
		}
	}
}

func (c *checker) vars(path string, vars []v1.ExpressionVariable) {
	for i, v := range vars {
		if !varName.MatchString(v.Name) {
			c.add(fmt.Sprintf("%s[%d].name", path, i), fmt.Sprintf("%q is not a valid variable name (^[a-zA-Z_]\\w*$)", v.Name))
		}
	}
}
