package kustomizebuild

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	kustypes "sigs.k8s.io/kustomize/api/types"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "kustomize-build"

// ReasonBuildFailed is the reason of an Errored result whose kustomization does not build.
const ReasonBuildFailed = "KustomizeBuildFailed"

// buildMu serialises builds in the process: kustomize keeps global state (its OpenAPI schema
// and plugin registry) that concurrent builds would race on.
var buildMu sync.Mutex

// Step is the kustomize-build step. It is safe for concurrent use; builds run one at a time.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the kustomize-build step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run builds the kustomization at config.path into config.outPath. A bad config or a path
// outside the workspace is terminal (Failed). A kustomization that does not build (a missing
// or escaping file among them) is Errored with reason KustomizeBuildFailed, and a write that
// fails is Errored; outPath's existing files are then left as they were.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	dir, err := files.Local(sc, Name, "config.path", cfg.Path)
	if err != nil {
		return steps.Result{}, err
	}
	out, err := files.Local(sc, Name, "config.outPath", cfg.OutPath)
	if err != nil {
		return steps.Result{}, err
	}
	abs, err := sc.Path(dir)
	if err != nil {
		return steps.Result{}, files.Escape(sc, Name, "config.path", cfg.Path)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	rm, err := build(sc.WorkDir, abs, cfg.Plugin)
	if err != nil {
		return steps.Result{}, steps.Reasoned(ReasonBuildFailed, fmt.Errorf("build %s: %w", cfg.Path, err))
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	written, err := write(sc, out, cfg, rm)
	if err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Message: fmt.Sprintf("built %s: %d resource(s) into %d file(s) in %s", cfg.Path, rm.Size(), written, cfg.OutPath)}, nil
}

// build runs kustomize on dir, reading only what lies inside the workspace root.
func build(root, dir string, plugin *Plugin) (resmap.ResMap, error) {
	pc := kustypes.MakePluginConfig(kustypes.PluginRestrictionsBuiltinsOnly, kustypes.BploUseStaticallyLinked)
	pc.HelmConfig = kustypes.HelmConfig{Enabled: true, Command: "helm"}
	if plugin != nil && plugin.Helm != nil {
		pc.HelmConfig.ApiVersions = plugin.Helm.APIVersions
		pc.HelmConfig.KubeVersion = plugin.Helm.KubeVersion
	}
	k := krusty.MakeKustomizer(&krusty.Options{
		Reorder:          krusty.ReorderOptionLegacy,
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     pc,
	})
	buildMu.Lock()
	defer buildMu.Unlock()
	rm, err := k.Run(newWorkspaceFS(root), dir)
	if err != nil {
		// Paths in kustomize's errors are absolute; the workspace's location is no one's
		// business.
		return nil, errors.New(strings.ReplaceAll(err.Error(), root+string(filepath.Separator), ""))
	}
	return rm, nil
}

// write writes rm to out, a file or a directory, and returns the number of files written.
func write(sc *steps.Context, out string, cfg Config, rm resmap.ResMap) (int, error) {
	fail := func(name string, err error) (int, error) {
		return 0, files.Error(sc, Name, "config.outPath", "write", name, err)
	}
	if ext := filepath.Ext(out); ext == ".yaml" || ext == ".yml" {
		data, err := rm.AsYaml()
		if err != nil {
			return 0, fmt.Errorf("encode resources: %w", err)
		}
		if err := files.WriteFile(sc.Dir, out, data, 0o644); err != nil {
			return fail(cfg.OutPath, err)
		}
		return 1, nil
	}
	named, err := fileNames(rm, cfg.OutputFormat)
	if err != nil {
		return 0, err
	}
	for _, f := range named {
		data, err := f.res.AsYAML()
		if err != nil {
			return 0, fmt.Errorf("encode %s: %w", f.name, err)
		}
		name := filepath.Join(out, f.name)
		if err := files.WriteFile(sc.Dir, name, data, 0o644); err != nil {
			return fail(filepath.ToSlash(name), err)
		}
	}
	return len(named), nil
}

type namedResource struct {
	name string
	res  *resource.Resource
}

// FileNames names a file for every resource of rm, in format (kargo when empty). Two
// resources that would share a file name are an error.
func fileNames(rm resmap.ResMap, format string) ([]namedResource, error) {
	var out []namedResource
	switch format {
	case "", FormatKargo:
		for _, r := range rm.Resources() {
			name := r.GetKind() + "-" + r.GetName()
			if ns := r.GetNamespace(); ns != "" {
				name = ns + "-" + name
			}
			out = append(out, namedResource{fileName(name), r})
		}
	case FormatKustomize:
		// As kustomize build --output: namespaced resources by effective namespace, the
		// namespace in the name only when there are several; cluster-scoped ones bare.
		byNS := rm.GroupedByCurrentNamespace()
		for _, ns := range slices.Sorted(maps.Keys(byNS)) {
			for _, r := range byNS[ns] {
				name := r.GetGvk().StringWoEmptyField() + "_" + r.GetName()
				if len(byNS) > 1 {
					name = ns + "_" + name
				}
				out = append(out, namedResource{fileName(name), r})
			}
		}
		for _, r := range rm.ClusterScoped() {
			out = append(out, namedResource{fileName(r.GetGvk().StringWoEmptyField() + "_" + r.GetName()), r})
		}
	default:
		return nil, fmt.Errorf("config.outputFormat: unknown format %q", format)
	}
	seen := map[string]bool{}
	for _, f := range out {
		if seen[f.name] {
			return nil, fmt.Errorf("two resources would be written to %s", f.name)
		}
		seen[f.name] = true
	}
	return out, nil
}

// fileName lower-cases base, keeps it one path element, and adds .yaml.
func fileName(base string) string {
	return strings.ReplaceAll(strings.ToLower(base), "/", "_") + ".yaml"
}
