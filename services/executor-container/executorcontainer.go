package executorcontainer

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"

	"github.com/drayhq/dray/pkg/container"
	"github.com/drayhq/dray/pkg/executor"
	"github.com/drayhq/dray/pkg/imagecache"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/customstep"
)

// Name is the executor kind: this service takes the jobs on dray.steps.container.>.
const Name = "container"

// Options tune the container executor.
type Options struct {
	Executor executor.Options
	// Runc is the runc binary. Default $DRAY_RUNC, else runc from $PATH.
	Runc string
	// RuncRoot is runc's state directory. Default $DRAY_RUNC_ROOT, else /run/dray-runc.
	RuncRoot string
	// ImageCache keeps pulled images unpacked by digest. Default $DRAY_IMAGE_CACHE, else
	// images/ under the executor's cache directory.
	ImageCache string
	// HostNetwork are the projects ("*" for every project) whose CustomPromotionSteps may
	// ask for the "network" capability, the host's network, its loopback services included.
	// Default $DRAY_CONTAINER_HOST_NETWORK (comma-separated), else none: containers have
	// loopback only, and a step that asks for the network fails.
	HostNetwork []string
}

// BindFlags registers the options as flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Executor.BindFlags(fs)
	fs.StringVar(&o.Runc, "runc", envOr("DRAY_RUNC", "runc"), "runc binary")
	fs.StringVar(&o.RuncRoot, "runc-root", envOr("DRAY_RUNC_ROOT", "/run/dray-runc"), "runc state directory")
	fs.StringVar(&o.ImageCache, "image-cache", os.Getenv("DRAY_IMAGE_CACHE"), "unpacked image cache (default: images/ under --cache-dir)")
	if v := os.Getenv("DRAY_CONTAINER_HOST_NETWORK"); v != "" {
		o.HostNetwork = splitList(v)
	}
	fs.Func(strings.TrimPrefix(customstep.HostNetworkFlag, "--"),
		`projects (comma-separated, repeatable; * for every project) whose CustomPromotionSteps may take the "network" capability, the host's network (default none; env DRAY_CONTAINER_HOST_NETWORK)`,
		func(v string) error { o.HostNetwork = append(o.HostNetwork, splitList(v)...); return nil })
}

// splitList splits a comma- or space-separated list, dropping empty items.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

// Validate reports every problem at once.
func (o *Options) Validate() error { return errors.Join(o.Executor.Validate()) }

// StepsWith returns the steps this executor runs: every CustomPromotionStep, read from d.Bus,
// pulled with d.Secrets' image credentials and run with runc. It fails only when the image
// cache cannot be created; a missing runc is logged and reported by every step.
func StepsWith(ctx context.Context, opts Options, d service.Deps) (*steps.Registry, error) {
	dir := opts.ImageCache
	if dir == "" {
		base := opts.Executor.CacheDir
		if base == "" {
			base = filepath.Join(os.TempDir(), "dray-workspaces", Name) // executor.Run's default
		}
		dir = filepath.Join(base, "images")
	}
	images, err := imagecache.New(dir)
	if err != nil {
		return nil, err
	}
	var copts []container.Option
	if opts.Runc != "" {
		copts = append(copts, container.WithBinary(opts.Runc))
	}
	if opts.RuncRoot != "" {
		copts = append(copts, container.WithStateDir(opts.RuncRoot))
	}
	var ropts []customstep.Option
	rt, err := container.NewRuntime(ctx, d.Log, copts...)
	if err != nil {
		d.Log.Error("custom steps cannot run", "err", err)
		rt = nil
		ropts = append(ropts, customstep.WithRuntimeError(err))
	}
	if d.Secrets != nil { // a nil *secret.Store would not read as "none"
		ropts = append(ropts, customstep.WithSecrets(d.Secrets))
	}
	if len(opts.HostNetwork) > 0 {
		ropts = append(ropts, customstep.WithHostNetwork(opts.HostNetwork...))
	}
	runner := customstep.New(definitions{d.Bus}, images, rt, ropts...)
	reg, err := steps.NewRegistry()
	if err != nil {
		return nil, err
	}
	return reg.WithFallback(runner.Step), nil
}

// New builds the container executor, which runs every CustomPromotionStep (see StepsWith).
func New(ctx context.Context, opts Options, d service.Deps) (*executor.Executor, error) {
	reg, err := StepsWith(ctx, opts, d)
	if err != nil {
		return nil, err
	}
	return &executor.Executor{Name: Name, Steps: reg}, nil
}

// Run serves the steps until ctx ends.
func Run(ctx context.Context, opts Options, d service.Deps) error {
	x, err := New(ctx, opts, d)
	if err != nil {
		return err
	}
	return x.Serve(ctx, opts.Executor, d, nil)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
