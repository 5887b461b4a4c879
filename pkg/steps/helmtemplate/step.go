package helmtemplate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
	"github.com/drayhq/dray/pkg/steps/internal/helmdep"
)

// Name is the step's name, the value of uses.
const Name = "helm-template"

// ReasonTemplateFailed is the reason of an Errored result whose chart does not load or
// render, or whose dependencies cannot be built.
const ReasonTemplateFailed = "HelmTemplateFailed"

// Step is the helm-template step. It is safe for concurrent use.
type Step struct {
	deps helmdep.Options
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithCredentials builds dependencies (buildDependencies) with the project's Helm
// credentials in store (Secrets labelled helm, matched by repository URL). Default:
// anonymous.
func WithCredentials(store *secret.Store) Option {
	return func(s *Step) { s.deps.UseSecrets(store) }
}

// New returns the helm-template step.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run renders the chart at config.path into config.outPath. A bad config (a bad setValues
// key or kubeVersion among them) or a path outside the workspace is terminal (Failed). A
// missing values file (unless ignored), a chart that does not load or render and a write that
// fails are Errored; outPath is then left as it was.
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
	inst, err := s.install(sc, cfg)
	if err != nil {
		return steps.Result{}, err
	}
	vals, err := s.values(sc, cfg)
	if err != nil {
		return steps.Result{}, err
	}
	if cfg.BuildDependencies {
		abs, err := sc.Path(dir)
		if err != nil {
			return steps.Result{}, files.Escape(sc, Name, "config.path", cfg.Path)
		}
		deps := s.deps
		deps.Project = sc.Project
		if err := helmdep.Build(ctx, abs, sc.WorkDir, deps); err != nil {
			err = steps.Reasoned(ReasonTemplateFailed, fmt.Errorf("build dependencies of %s: %w", cfg.Path, err))
			if errors.Is(err, steps.ErrPathEscape) {
				err = steps.Terminal(err) // a chart reaching out of the workspace will not change
			}
			return steps.Result{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	ch, err := LoadChart(sc.Dir, dir)
	if err != nil {
		if files.IsEscape(err) {
			return steps.Result{}, files.Escape(sc, Name, "config.path", cfg.Path)
		}
		return steps.Result{}, steps.Reasoned(ReasonTemplateFailed, fmt.Errorf("load chart %s: %w", cfg.Path, err))
	}
	rel, err := render(ctx, inst, ch, vals)
	if err != nil {
		return steps.Result{}, steps.Reasoned(ReasonTemplateFailed, fmt.Errorf("render chart %s: %w", cfg.Path, err))
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	n, err := write(sc, out, cfg, rel)
	if err != nil {
		return steps.Result{}, err
	}
	return steps.Result{Message: fmt.Sprintf("rendered chart %s as release %s into %d file(s) in %s", ch.Name(), cfg.ReleaseName, n, cfg.OutPath)}, nil
}

// install returns the client-only install action that cfg describes.
func (*Step) install(sc *steps.Context, cfg Config) (*action.Install, error) {
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName = cfg.ReleaseName
	inst.Namespace = cfg.Namespace
	if inst.Namespace == "" {
		inst.Namespace = sc.Project
	}
	inst.IncludeCRDs = cfg.IncludeCRDs
	inst.DisableHooks = cfg.DisableHooks
	inst.APIVersions = chartutil.VersionSet(cfg.APIVersions)
	inst.KubeVersion = defaultKubeVersion()
	if cfg.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(cfg.KubeVersion)
		if err != nil {
			return nil, files.Invalid(sc, Name, fmt.Errorf("config.kubeVersion: %w", err))
		}
		inst.KubeVersion = kv
	}
	return inst, nil
}

// values merges config.valuesFiles, then config.setValues. The chart's own values.yaml comes
// first when the chart renders.
func (*Step) values(sc *steps.Context, cfg Config) (map[string]any, error) {
	vals := map[string]any{}
	for i, f := range cfg.ValuesFiles {
		field := fmt.Sprintf("config.valuesFiles[%d]", i)
		name, err := files.Local(sc, Name, field, f)
		if err != nil {
			return nil, err
		}
		data, err := sc.Dir.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) && cfg.IgnoreMissingValueFiles {
			continue
		}
		if err != nil {
			return nil, files.Error(sc, Name, field, "read", f, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("parse values file %s: %w", f, err)
		}
		vals = mergeValues(vals, m)
	}
	for i, v := range cfg.SetValues {
		parse := strvals.ParseInto
		if v.Literal {
			parse = strvals.ParseLiteralInto
		}
		if err := parse(v.Key+"="+v.Value, vals); err != nil {
			return nil, files.Invalid(sc, Name, fmt.Errorf("config.setValues[%d]: %w", i, err))
		}
	}
	return vals, nil
}

// render renders ch with vals. Dependencies Chart.yaml declares must be in charts/.
func render(ctx context.Context, inst *action.Install, ch *chart.Chart, vals map[string]any) (*release.Release, error) {
	if req := ch.Metadata.Dependencies; req != nil {
		if err := action.CheckDependencies(ch, req); err != nil {
			return nil, fmt.Errorf("%w (set buildDependencies, or vendor them)", err)
		}
	}
	return inst.RunWithContext(ctx, ch, vals)
}

// defaultKubeVersion is the Kubernetes version of the client-go Dray is built with, as the
// helm command sets it at build time; Helm's own default (v1.20) is years old. Nil when the
// build has no client-go, leaving Helm's default.
func defaultKubeVersion() *chartutil.KubeVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	for _, m := range bi.Deps {
		if m.Path != "k8s.io/client-go" {
			continue
		}
		// client-go v0.X.Y goes with Kubernetes v1.X.Y.
		if v, ok := strings.CutPrefix(m.Version, "v0."); ok {
			if kv, err := chartutil.ParseKubeVersion("v1." + v); err == nil {
				return kv
			}
		}
	}
	return nil
}
