package manifest

import (
	"errors"
	"fmt"
	"reflect"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/schema"
)

// problem is a FieldError before it knows its file and resource.
type problem struct {
	resource string
	path     string
	msg      string
}

// namespaced lists the kinds that belong to a project.
var namespaced = map[string]bool{
	v1.KindWarehouse: true, v1.KindStage: true, v1.KindFreight: true, v1.KindPromotion: true,
	v1.KindPromotionTask: true, v1.KindProjectConfig: true, v1.KindSecret: true, v1.KindConfigMap: true,
	v1.KindMessageChannel: true, v1.KindEventRouter: true, v1.KindServiceAccount: true, v1.KindRole: true, v1.KindRoleBinding: true,
}

// coreKinds are Kubernetes' own kinds, written with apiVersion v1.
var coreKinds = map[string]bool{v1.KindSecret: true, v1.KindConfigMap: true, v1.KindServiceAccount: true}

// Validate checks an already typed resource or message, such as one received by the API: a
// pointer to (or value of) a type listed in v1.Table. It checks the type's JSON Schema and, for
// resources, the same semantic rules as Decode:
//
//   - metadata.name is a DNS-1123 subdomain (a DNS-1123 label for a Project);
//   - namespaced kinds have metadata.namespace, a DNS-1123 label; a ProjectConfig is named
//     like its project;
//   - a Warehouse has subscriptions, each with exactly one of image, git or chart, with unique
//     names;
//   - a Stage requests Freight from unique Warehouse origins, each direct or from upstream
//     Stages;
//   - each step of a Stage's promotion template, a (Cluster)PromotionTask or a Promotion has
//     exactly one of uses or task (task only in Stage templates, with nothing but as and
//     vars beside it), and aliases that are unique after trimming; step-<n> and task-<n> are
//     reserved in templates and tasks;
//   - a list of steps has at most MaxSteps steps;
//   - an image or git subscription's tag filters are valid RE2 expressions, and the
//     deprecated allowTags and ignoreTags are not set;
//   - variable names match ^[a-zA-Z_]\w*$;
//   - a Freight has an artifact and a Warehouse origin.
//   - a (Cluster)MessageChannel has spec.secretRef.name and exactly one of spec.slack or
//     spec.webhook, whose method is POST, PUT or PATCH.
//   - an EventRouter names known event types and at least one channel of kind
//     MessageChannel or ClusterMessageChannel; its when expression and output templates
//     compile, and its encodingTypes are "", json, yaml or xml.
//
// It returns nil, or every problem joined, each a *v1.FieldError with Resource and Path set
// and no File. Validate does not fill in defaults.
func Validate(obj any) error {
	if obj == nil {
		return errors.New("validate: nil object")
	}
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		v = p
	} else if v.IsNil() {
		return fmt.Errorf("validate: nil %T", obj)
	}
	obj = v.Interface()
	var entry v1.Entry
	found := false
	for _, e := range v1.Table {
		if reflect.TypeOf(e.New()) == v.Type() {
			entry, found = e, true
			break
		}
	}
	if !found {
		return fmt.Errorf("validate: %T is not a type of v1.Table", obj)
	}
	resource := entry.ID
	if m := metaOf(obj); m != nil && m.Name != "" {
		resource += "/" + m.Name
	}
	probs := schemaProblems(entry.Name, obj)
	if !entry.Message && len(probs) == 0 {
		if tm := typeMetaOf(obj); tm != nil {
			if p, bad := checkAPIVersion(tm.APIVersion, entry.ID); bad {
				probs = append(probs, p)
			}
		}
		probs = append(probs, check(obj)...)
	}
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = &v1.FieldError{Resource: resource, Path: p.path, Msg: p.msg}
	}
	return errors.Join(errs...)
}

// checkAPIVersion reports an apiVersion that kind may not use.
func checkAPIVersion(apiVersion any, kind string) (problem, bool) {
	s, _ := apiVersion.(string)
	switch {
	case coreKinds[kind]:
		if s == v1.CoreVersion {
			return problem{}, false
		}
		return problem{path: "apiVersion", msg: fmt.Sprintf("got %q, want %s", s, v1.CoreVersion)}, true
	case kind == v1.KindRole && (s == v1.RBACVersion || s == v1.KargoRBACVersion),
		kind == v1.KindRoleBinding && s == v1.RBACVersion:
		return problem{}, false
	case kind == v1.KindRole:
		return problem{path: "apiVersion", msg: fmt.Sprintf("got %q, want %s or %s", s, v1.RBACVersion, v1.KargoRBACVersion)}, true
	case kind == v1.KindRoleBinding:
		return problem{path: "apiVersion", msg: fmt.Sprintf("got %q, want %s", s, v1.RBACVersion)}, true
	case s == v1.GroupVersion:
		return problem{}, false
	case s == v1.EEGroupVersion && (kind == v1.KindCustomPromotionStep || kind == v1.KindEventRouter):
		return problem{}, false
	case s == "":
		return problem{path: "apiVersion", msg: "is required; want " + v1.GroupVersion}, true
	case kind == v1.KindCustomPromotionStep || kind == v1.KindEventRouter:
		return problem{path: "apiVersion", msg: fmt.Sprintf("got %q, want %s or %s", s, v1.EEGroupVersion, v1.GroupVersion)}, true
	}
	return problem{path: "apiVersion", msg: fmt.Sprintf("got %q, want %s", s, v1.GroupVersion)}, true
}

// schemaProblems validates doc against the named schema; every problem names its field.
func schemaProblems(name string, doc any) []problem {
	err := schema.Validate(name, doc)
	if err == nil {
		return nil
	}
	var se *schema.Error
	if !errors.As(err, &se) {
		return []problem{{msg: err.Error()}}
	}
	out := make([]problem, len(se.Problems))
	for i, p := range se.Problems {
		out[i] = problem{path: p.Path, msg: p.Msg}
	}
	return out
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// metaOf returns the metadata of a typed resource, or nil.
func metaOf(obj any) *v1.ObjectMeta {
	v := reflect.Indirect(reflect.ValueOf(obj))
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("Metadata")
	if !f.IsValid() || f.Type() != reflect.TypeFor[v1.ObjectMeta]() {
		return nil
	}
	m := f.Interface().(v1.ObjectMeta)
	return &m
}

func typeMetaOf(obj any) *v1.TypeMeta {
	v := reflect.Indirect(reflect.ValueOf(obj))
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("TypeMeta")
	if !f.IsValid() || f.Type() != reflect.TypeFor[v1.TypeMeta]() {
		return nil
	}
	tm := f.Interface().(v1.TypeMeta)
	return &tm
}
