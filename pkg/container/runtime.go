package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrRuncMissing means the runc binary was not found or does not run.
var ErrRuncMissing = errors.New("runc is not installed or does not run (.ci/run installs it; on Debian: apt-get install runc)")

// Runtime runs containers with one runc binary. It is safe for concurrent use.
type Runtime struct {
	binary  string
	root    string
	bundles string
	version string
	cgroups Cgroups
}

// Option tunes a Runtime.
type Option func(*Runtime)

// WithBinary sets the runc binary. Default "runc" from $PATH.
func WithBinary(path string) Option { return func(r *Runtime) { r.binary = path } }

// WithStateDir sets runc's state directory (runc --root) and where bundles are written.
// Default /run/dray-runc.
func WithStateDir(dir string) Option { return func(r *Runtime) { r.root = dir } }

// WithCgroups overrides cgroup detection. Default DetectCgroups().
func WithCgroups(cg Cgroups) Option { return func(r *Runtime) { r.cgroups = cg } }

// NewRuntime checks that runc runs (`runc --version`) and detects the cgroup controllers.
// It fails with ErrRuncMissing when runc is not there; log receives one line naming the
// limits that cannot be applied on this host.
func NewRuntime(ctx context.Context, log *slog.Logger, opts ...Option) (*Runtime, error) {
	r := &Runtime{binary: "runc", root: "/run/dray-runc", cgroups: DetectCgroups()}
	for _, o := range opts {
		o(r)
	}
	bin, err := exec.LookPath(r.binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuncMissing, err)
	}
	r.binary = bin
	if r.root, err = filepath.Abs(r.root); err != nil {
		return nil, err
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, bin, "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%w: %s --version: %v: %s", ErrRuncMissing, bin, err, strings.TrimSpace(string(out)))
	}
	r.version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	r.bundles = filepath.Join(r.root, "bundles")
	if err := os.MkdirAll(r.bundles, 0o700); err != nil {
		return nil, fmt.Errorf("create runc state dir: %w", err)
	}
	if missing := r.cgroups.Missing(); len(missing) > 0 {
		log.Warn("cgroup controllers unavailable: containers run without these limits",
			"missing", missing, "cgroupVersion", r.cgroups.Version)
	}
	log.Info("container runtime ready", "runc", bin, "version", r.version, "cgroupVersion", r.cgroups.Version)
	return r, nil
}

// Version is the first line of `runc --version`.
func (r *Runtime) Version() string { return r.version }

// Cgroups are the controllers limits are applied with.
func (r *Runtime) Cgroups() Cgroups { return r.cgroups }

// Exit is how a container ended.
type Exit struct {
	// Code is the process's exit status; 128+signal when a signal ended it.
	Code int
	// Killed reports that ctx ended first and the container was killed.
	Killed bool
}

// Run runs c to its end, copying the process's stdout and stderr to the writers, and
// returns its exit status. When ctx ends first, the container is killed with SIGKILL and
// Exit.Killed is set. The container is always deleted before Run returns. An error means
// the container could not be run at all.
func (r *Runtime) Run(ctx context.Context, c Config, stdout, stderr io.Writer) (Exit, error) {
	spec, err := Spec(c, r.cgroups)
	if err != nil {
		return Exit{}, err
	}
	id := "dray-" + randomID()
	bundle := filepath.Join(r.bundles, id)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return Exit{}, fmt.Errorf("create bundle: %w", err)
	}
	defer os.RemoveAll(bundle)
	b, err := json.Marshal(spec)
	if err != nil {
		return Exit{}, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		return Exit{}, fmt.Errorf("write bundle: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Exit{Killed: true}, nil
	}
	cmd := exec.Command(r.binary, "--root", r.root, "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return Exit{}, fmt.Errorf("start runc: %w", err)
	}
	defer r.delete(id)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var exit Exit
	select {
	case err = <-done:
	case <-ctx.Done():
		exit.Killed = true
		err = r.killUntilDone(id, cmd, done)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exit.Code = ee.ExitCode()
		if exit.Code < 0 { // runc itself was killed by a signal
			exit.Code = 128 + 9
		}
	default:
		return exit, fmt.Errorf("run container: %w", err)
	}
	return exit, nil
}

// killUntilDone kills the container until runc run returns: the first kill may come
// before runc has created it. After 10s runc itself is killed, and delete cleans up.
func (r *Runtime) killUntilDone(id string, cmd *exec.Cmd, done <-chan error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(10 * time.Second)
	r.kill(id)
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			r.kill(id)
		case <-giveUp:
			_ = cmd.Process.Kill()
			return <-done
		}
	}
}

// kill sends SIGKILL to every process of the container. A container that already ended, or
// was not created yet, makes runc fail; the caller waits for runc run either way.
func (r *Runtime) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, r.binary, "--root", r.root, "kill", "--all", id, "KILL").Run()
}

// delete removes the container's state, killing whatever is left of it.
func (r *Runtime) delete(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, r.binary, "--root", r.root, "delete", "--force", id).Run()
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StateDir is runc's state directory (runc --root).
func (r *Runtime) StateDir() string { return r.root }
