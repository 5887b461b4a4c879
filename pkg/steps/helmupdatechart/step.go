package helmupdatechart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
	"github.com/drayhq/dray/pkg/steps/internal/helmdep"
	"github.com/drayhq/dray/pkg/steps/internal/updates"
	"github.com/drayhq/dray/pkg/steps/internal/yamledit"
)

// Name is the step's name, the value of uses.
const Name = "helm-update-chart"

// Reasons of the step's Errored results.
const (
	ReasonDependencyNotFound = "DependencyNotFound"
	ReasonUpdateFailed       = "HelmDependencyUpdateFailed"
)

// Step is the helm-update-chart step. It is safe for concurrent use.
type Step struct {
	deps helmdep.Options
}

var _ steps.Step = (*Step)(nil)

// Option configures the step.
type Option func(*Step)

// WithPlainHTTP reaches oci:// registries over plain HTTP, for registries without TLS (and
// tests). Default: HTTPS.
func WithPlainHTTP() Option { return func(s *Step) { s.deps.PlainHTTP = true } }

// WithCredentials reads chart repositories with the project's Helm credentials in store
// (Secrets labelled helm, matched by repository URL). Default: anonymous.
func WithCredentials(store *secret.Store) Option {
	return func(s *Step) { s.deps.UseSecrets(store) }
}

// New returns the helm-update-chart step.
func New(opts ...Option) *Step {
	s := &Step{}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run sets the configured versions in Chart.yaml and updates the chart's dependencies. A bad
// config or a path outside the workspace is terminal (Failed). A missing or bad Chart.yaml, a
// dependency not in it (reason DependencyNotFound), and an update that fails (reason
// HelmDependencyUpdateFailed: an unreachable repository, a version that does not exist) are
// Errored, and Chart.yaml is left as it was.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	dir, err := files.Local(sc, Name, "config.path", cfg.Path)
	if err != nil {
		return steps.Result{}, err
	}
	chartFile, lockFile := filepath.Join(dir, "Chart.yaml"), filepath.Join(dir, "Chart.lock")
	oldChart, err := sc.Dir.ReadFile(chartFile)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "read", filepath.ToSlash(chartFile), err)
	}
	newChart, err := setVersions(oldChart, cfg.Charts)
	if err != nil {
		return steps.Result{}, fmt.Errorf("%s: %w", filepath.ToSlash(chartFile), err)
	}
	oldLock, err := sc.Dir.ReadFile(lockFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return steps.Result{}, files.Error(sc, Name, "config.path", "read", filepath.ToSlash(lockFile), err)
	}
	abs, err := sc.Path(dir)
	if err != nil {
		return steps.Result{}, files.Escape(sc, Name, "config.path", cfg.Path)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	if !bytes.Equal(oldChart, newChart) {
		if err := files.WriteFile(sc.Dir, chartFile, newChart, 0o644); err != nil {
			return steps.Result{}, files.Error(sc, Name, "config.path", "write", filepath.ToSlash(chartFile), err)
		}
	}
	deps := s.deps
	deps.Project = sc.Project
	if err := helmdep.Update(ctx, abs, sc.WorkDir, deps); err != nil {
		err = steps.Reasoned(ReasonUpdateFailed, fmt.Errorf("update dependencies of %s: %w", cfg.Path, err))
		if errors.Is(err, steps.ErrPathEscape) {
			err = steps.Terminal(err)
		}
		if !bytes.Equal(oldChart, newChart) {
			if rerr := files.WriteFile(sc.Dir, chartFile, oldChart, 0o644); rerr != nil {
				err = errors.Join(err, fmt.Errorf("restore %s: %w", filepath.ToSlash(chartFile), rerr))
			}
		}
		return steps.Result{}, err
	}
	newLock, err := sc.Dir.ReadFile(lockFile)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "read", filepath.ToSlash(lockFile), err)
	}
	changes, err := lockChanges(oldLock, newLock)
	if err != nil {
		return steps.Result{}, err
	}
	if len(changes) == 0 {
		if oldLock != nil && !bytes.Equal(oldLock, newLock) {
			if err := files.WriteFile(sc.Dir, lockFile, oldLock, 0o644); err != nil {
				return steps.Result{}, files.Error(sc, Name, "config.path", "write", filepath.ToSlash(lockFile), err)
			}
		}
		return steps.Result{Message: fmt.Sprintf("dependencies of %s are up to date", cfg.Path)}, nil
	}
	msg := "Updated chart dependencies for " + cfg.Path + "\n"
	for _, c := range changes {
		msg += "\n- " + c
	}
	return steps.Result{
		Outputs: map[string]any{"commitMessage": msg},
		Message: fmt.Sprintf("updated %d dependenc(ies) of %s", len(changes), cfg.Path),
	}, nil
}

// setVersions returns Chart.yaml with the version of each dependency charts names replaced,
// line based as yaml-update does. A dependency that is not there wraps steps.StepError with
// reason DependencyNotFound.
func setVersions(chartYAML []byte, charts []Chart) ([]byte, error) {
	if len(charts) == 0 {
		return chartYAML, nil
	}
	var md chart.Metadata
	if err := yaml.Unmarshal(chartYAML, &md); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	list := make([]updates.Update, 0, len(charts))
	for _, c := range charts {
		i := slices.IndexFunc(md.Dependencies, func(d *chart.Dependency) bool {
			return d != nil && d.Repository == c.Repository && d.Name == c.Name
		})
		if i < 0 {
			return nil, steps.Reasoned(ReasonDependencyNotFound, fmt.Errorf("no dependency %s from repository %s", c.Name, c.Repository))
		}
		list = append(list, updates.Update{Key: fmt.Sprintf("dependencies.%d.version", i), Value: c.Version})
	}
	out, err := yamledit.Apply(chartYAML, list)
	if err != nil {
		return nil, fmt.Errorf("set versions: %w", err)
	}
	return out, nil
}

// lockChanges compares the dependencies of two Chart.lock files (old may be nil) and returns
// one line per change, sorted: "name: old -> new", "name: new" or "name: old -> removed".
func lockChanges(oldLock, newLock []byte) ([]string, error) {
	versions := func(data []byte) (map[string]string, error) {
		var l chart.Lock
		if err := yaml.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("parse Chart.lock: %w", err)
		}
		m := map[string]string{}
		for _, d := range l.Dependencies {
			if d != nil {
				m[d.Name] = d.Version + "\x00" + d.Repository
			}
		}
		return m, nil
	}
	before, err := versions(oldLock)
	if err != nil {
		return nil, err
	}
	after, err := versions(newLock)
	if err != nil {
		return nil, err
	}
	version := func(v string) string { s, _, _ := strings.Cut(v, "\x00"); return s }
	var changes []string
	for name, nv := range after {
		ov, ok := before[name]
		switch {
		case !ok:
			changes = append(changes, fmt.Sprintf("%s: %s", name, version(nv)))
		case ov != nv:
			changes = append(changes, fmt.Sprintf("%s: %s -> %s", name, version(ov), version(nv)))
		}
	}
	for name, ov := range before {
		if _, ok := after[name]; !ok {
			changes = append(changes, fmt.Sprintf("%s: %s -> removed", name, version(ov)))
		}
	}
	slices.Sort(changes)
	return changes, nil
}
