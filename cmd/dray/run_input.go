package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	freightid "github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/manifest"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/secret"
)

// runInput is what dray run found in its -f files: resources, and plain template files (a
// top-level steps: list, no kind).
type runInput struct {
	stages       []*v1.Stage
	tasks        []*v1.PromotionTask
	clusterTasks []*v1.ClusterPromotionTask
	templates    []templateFile
	// secrets and configMaps back secret(), configMap() and their shared forms.
	secrets    []*v1.Secret
	configMaps []*v1.ConfigMap
}

// templateFile is a file holding a bare promotion template: steps and optional vars.
type templateFile struct {
	file string
	spec v1.PromotionTemplateSpec
}

// loadInput reads every -f file or directory (directories recursively, *.yaml, *.yml and
// *.json, skipping dot-directories, as dray apply does). Namespaced resources without a
// namespace get project. It reports the problems of every file together.
func loadInput(paths []string, project string) (*runInput, error) {
	in := &runInput{}
	var errs []error
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !info.IsDir() {
			errs = append(errs, in.loadFile(p, project))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && path != p && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case d.IsDir():
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				errs = append(errs, in.loadFile(path, project))
			}
			return nil
		})
		errs = append(errs, err)
	}
	return in, errors.Join(errs...)
}

// loadFile adds the resources or the template of one file.
func (in *runInput) loadFile(path, project string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var head map[string]any
	if yaml.Unmarshal(data, &head) == nil && head["kind"] == nil && head["steps"] != nil {
		t := templateFile{file: path}
		if err := yaml.UnmarshalStrict(data, &t.spec); err != nil {
			return &v1.FieldError{File: path, Msg: "not a promotion template (steps and vars): " + err.Error()}
		}
		in.templates = append(in.templates, t)
		return nil
	}
	objs, err := manifest.Decode(path, data, manifest.WithDefaultProject(project))
	if err != nil {
		return err
	}
	for _, o := range objs {
		switch r := o.Resource.(type) {
		case *v1.Stage:
			in.stages = append(in.stages, r)
		case *v1.PromotionTask:
			in.tasks = append(in.tasks, r)
		case *v1.ClusterPromotionTask:
			in.clusterTasks = append(in.clusterTasks, r)
		case *v1.Secret:
			in.secrets = append(in.secrets, r)
		case *v1.ConfigMap:
			in.configMaps = append(in.configMaps, r)
		}
	}
	return nil
}

// stage returns the Stage to run: with a template file, a synthetic Stage named name (default
// "local") in project holding it, validated like a manifest; else the Stage of the files
// named name, or the only one. requested is the Freight origin the synthetic Stage requests.
func (in *runInput) stage(name, project string, requested v1.FreightOrigin) (*v1.Stage, error) {
	switch len(in.templates) {
	case 0:
	case 1:
		return syntheticStage(in.templates[0], name, project, requested)
	default:
		return nil, fmt.Errorf("several template files (%s, %s): name one with -f", in.templates[0].file, in.templates[1].file)
	}
	var names []string
	var found []*v1.Stage
	for _, s := range in.stages {
		names = append(names, s.Metadata.Namespace+"/"+s.Metadata.Name)
		if (name == "" || s.Metadata.Name == name) && (project == "" || s.Metadata.Namespace == project) {
			found = append(found, s)
		}
	}
	sort.Strings(names)
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(in.stages) == 0:
		return nil, errors.New("no Stage and no template file (a YAML file with steps:) in the -f files")
	case len(found) == 0:
		return nil, fmt.Errorf("no Stage %q in the -f files; they hold %s", name, strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("several Stages in the -f files (%s): name one with --stage, or its project with --project", strings.Join(names, ", "))
}

// syntheticStage wraps a template file in a Stage and checks it as dray apply would check
// the Stage; problems are reported against the file, with paths inside it.
func syntheticStage(t templateFile, name, project string, requested v1.FreightOrigin) (*v1.Stage, error) {
	if name == "" {
		name = "local"
	}
	s := &v1.Stage{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
		Metadata: v1.ObjectMeta{Name: name, Namespace: project},
		Spec: v1.StageSpec{
			RequestedFreight:  []v1.FreightRequest{{Origin: requested, Sources: v1.FreightSources{Direct: true}}},
			PromotionTemplate: &v1.PromotionTemplate{Spec: t.spec},
		},
	}
	err := manifest.Validate(s)
	if err == nil {
		return s, nil
	}
	var errs []error
	for _, e := range unjoin(err) {
		var fe *v1.FieldError
		if errors.As(e, &fe) {
			if rest, ok := strings.CutPrefix(fe.Path, "spec.promotionTemplate.spec."); ok {
				fe = &v1.FieldError{File: t.file, Path: rest, Msg: fe.Msg}
			}
			e = fe
		}
		errs = append(errs, e)
	}
	return nil, errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// taskResolver finds the PromotionTasks of project and the ClusterPromotionTasks in the files.
func (in *runInput) taskResolver(project string) promotion.TaskResolver {
	return func(ref v1.PromotionTaskReference) (*v1.PromotionTaskSpec, error) {
		if ref.Kind == v1.KindClusterPromotionTask {
			for _, t := range in.clusterTasks {
				if t.Metadata.Name == ref.Name {
					return &t.Spec, nil
				}
			}
			return nil, fmt.Errorf("%w in the -f files", promotion.ErrTaskNotFound)
		}
		for _, t := range in.tasks {
			if t.Metadata.Name == ref.Name && t.Metadata.Namespace == project {
				return &t.Spec, nil
			}
		}
		return nil, fmt.Errorf("%w in project %s in the -f files", promotion.ErrTaskNotFound, project)
	}
}

// loadFreight reads the one Freight of file and names it by its content, as the gateway does.
func loadFreight(file, project string) (*v1.Freight, error) {
	objs, err := manifest.DecodeFile(file, manifest.WithDefaultProject(project))
	if err != nil {
		return nil, fmt.Errorf("--freight: %w", err)
	}
	var found []*v1.Freight
	for _, o := range objs {
		if f, ok := o.Resource.(*v1.Freight); ok {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("--freight %s: holds %d Freight, want exactly one", file, len(found))
	}
	f := found[0]
	f.Metadata.Name = freightid.ID(f)
	return f, nil
}

// data gives expressions the Secrets and ConfigMaps of the -f files: those of project back
// secret() and configMap(), those of the shared project sharedSecret() (generic credentials
// only, as on a server) and sharedConfigMap().
func (in *runInput) data(project string) promotion.Data {
	secretData := func(ns, name string, sharedOnly bool) map[string]string {
		for _, s := range in.secrets {
			if s.Metadata.Namespace != ns || s.Metadata.Name != name {
				continue
			}
			if sharedOnly && s.Metadata.Labels[v1.LabelCredType] != secret.TypeGeneric {
				return nil
			}
			return secret.Values(s)
		}
		return nil
	}
	configMap := func(ns, name string) map[string]string {
		for _, c := range in.configMaps {
			if c.Metadata.Namespace == ns && c.Metadata.Name == name {
				return c.Data
			}
		}
		return nil
	}
	return promotion.Data{
		Secret:          func(n string) (map[string]string, error) { return secretData(project, n, false), nil },
		SharedSecret:    func(n string) (map[string]string, error) { return secretData(v1.SharedProject, n, true), nil },
		ConfigMap:       func(n string) (map[string]string, error) { return configMap(project, n), nil },
		SharedConfigMap: func(n string) (map[string]string, error) { return configMap(v1.SharedProject, n), nil },
	}
}
