package customstep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/container"
	"github.com/drayhq/dray/pkg/expr"
	"github.com/drayhq/dray/pkg/imagecache"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
)

// Paths inside the container.
const (
	// WorkspaceDir is where the promotion workspace is mounted; it is the working directory.
	WorkspaceDir = "/workspace"
	// OutputFile is $KARGO_OUTPUT, created empty before the command starts.
	OutputFile = "/dray/output"
)

// CapabilityNetwork, in spec.capabilities, gives the container the host's network, when the
// operator grants it to the project (WithHostNetwork).
const CapabilityNetwork = "network"

// ReasonNetworkNotGranted is the reason of a step whose CustomPromotionStep asks for
// CapabilityNetwork in a project the operator did not grant it to.
const ReasonNetworkNotGranted = "NetworkNotGranted"

// HostNetworkFlag is the container executor's option that grants CapabilityNetwork.
const HostNetworkFlag = "--container-host-network"

// UID and GID run the command when the executor runs as root (docs/resources.md#custompromotionstep).
const (
	UID = 65532
	GID = 65532
)

const (
	// captureMax bounds what is kept of stdout, stderr and the output file.
	captureMax = 4 << 20
	// messageTail is how much of stdout and of stderr a failure message keeps.
	messageTail = 16 << 10
)

// Definitions finds the CustomPromotionStep that `uses` names for a project. It returns nil
// and no error when there is none.
type Definitions interface {
	CustomStep(ctx context.Context, project, name string) (*v1.CustomPromotionStep, error)
}

// Runner runs CustomPromotionSteps; Step gives the step of one name. It is safe for
// concurrent use.
type Runner struct {
	defs       Definitions
	images     *imagecache.Cache
	rt         *container.Runtime
	rtErr      error
	secrets    *secret.Store
	ev         *expr.Evaluator
	runDir     string
	uid, gid   int
	hostUID    int
	hostGID    int
	maxRuntime time.Duration
	// hostNetwork are the projects whose steps may have the host's network; "*" is every
	// project.
	hostNetwork []string
}

// Option tunes a Runner.
type Option func(*Runner)

// WithSecrets reads imagePullSecrets and the project's image credentials from st. Default
// none: images are pulled anonymously.
func WithSecrets(st *secret.Store) Option { return func(r *Runner) { r.secrets = st } }

// WithRunDir is where each attempt's $KARGO_OUTPUT directory is made. Default a
// dray-custom-steps directory under the system temp dir.
func WithRunDir(dir string) Option { return func(r *Runner) { r.runDir = dir } }

// WithRuntimeError is why rt is nil: every step then fails with it. Default
// container.ErrRuncMissing.
func WithRuntimeError(err error) Option { return func(r *Runner) { r.rtErr = err } }

// WithMaxRuntime bounds an attempt that has neither a deadline nor a defaultTimeout.
// Default 1h.
func WithMaxRuntime(d time.Duration) Option { return func(r *Runner) { r.maxRuntime = d } }

// WithHostNetwork grants CapabilityNetwork to the CustomPromotionSteps of projects ("*" for
// every project): with it a container shares the host's network namespace, and reaches what
// the host reaches, its loopback services (the gateway, NATS) included. Default none: a step
// that asks for it fails (reason NetworkNotGranted), and every container has a network
// namespace of its own with loopback only.
func WithHostNetwork(projects ...string) Option {
	return func(r *Runner) { r.hostNetwork = append(r.hostNetwork, projects...) }
}

// New returns a Runner that finds definitions in defs, images in images and runs them with
// rt. A nil rt (runc is missing) makes every step fail with a message that says so.
func New(defs Definitions, images *imagecache.Cache, rt *container.Runtime, opts ...Option) *Runner {
	r := &Runner{
		defs: defs, images: images, rt: rt, rtErr: container.ErrRuncMissing, ev: expr.New(),
		runDir: filepath.Join(os.TempDir(), "dray-custom-steps"), hostUID: os.Getuid(), hostGID: os.Getgid(),
		maxRuntime: time.Hour,
	}
	r.uid, r.gid = r.hostUID, r.hostGID
	if r.hostUID == 0 {
		r.uid, r.gid = UID, GID
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Step returns the step that runs the CustomPromotionStep called uses. It is the container
// executor's registry fallback: every name not built in reaches it, and Run reports a name
// that has no CustomPromotionStep as an unknown step kind.
func (r *Runner) Step(uses string) steps.Step { return &Step{name: uses, r: r} }

// Step is one CustomPromotionStep kind.
type Step struct {
	name string
	r    *Runner
}

var _ steps.Step = (*Step)(nil)

// Info names the step. Its retry defaults are the resource's defaultTimeout and
// defaultErrorThreshold, read at run time.
func (s *Step) Info() steps.Info { return steps.Info{Name: s.name, Executor: "container"} }

// Run runs the step's command once; see the package doc for the outcome.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	r := s.r
	def, err := r.defs.CustomStep(ctx, sc.Project, s.name)
	if err != nil {
		return steps.Result{}, fmt.Errorf("step %q: read CustomPromotionStep %q: %w", sc.Alias, s.name, err)
	}
	if def == nil {
		return steps.Result{}, steps.Terminal(fmt.Errorf("step %q: %w: %q is neither a built-in step nor a CustomPromotionStep", sc.Alias, steps.ErrUnknownStep, s.name))
	}
	p, err := r.plan(sc, def)
	if err != nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned("InvalidCustomStep", fmt.Errorf("step %q (%s): %w", sc.Alias, s.name, err)))
	}
	if p.network && !slices.Contains(r.hostNetwork, sc.Project) && !slices.Contains(r.hostNetwork, "*") {
		return steps.Result{}, steps.Terminal(steps.Reasoned(ReasonNetworkNotGranted, fmt.Errorf(
			"step %q (%s): spec.capabilities: %q would give the container this host's network, its loopback services included; the operator has not granted it to project %q (%s %s)",
			sc.Alias, s.name, CapabilityNetwork, sc.Project, HostNetworkFlag, sc.Project)))
	}
	if r.rt == nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned("RuntimeUnavailable", fmt.Errorf("step %q (%s): %w", sc.Alias, s.name, r.rtErr)))
	}
	auth, err := r.auth(ctx, sc.Project, def)
	if err != nil {
		return steps.Result{}, steps.Reasoned("ImagePullFailed", fmt.Errorf("step %q (%s): %w", sc.Alias, s.name, err))
	}
	img, err := r.images.Get(ctx, def.Spec.Image, auth)
	if err != nil {
		return steps.Result{}, steps.Reasoned("ImagePullFailed", fmt.Errorf("step %q (%s): %w", sc.Alias, s.name, err))
	}
	return r.run(ctx, sc, s.name, p, img)
}

// plan is a definition rendered for one attempt.
type plan struct {
	args, env []string
	output    outputSpec
	network   bool
	timeout   time.Duration
	resources container.Resources
}

// plan renders the command and env over config and ctx and checks the rest of the spec.
func (r *Runner) plan(sc *steps.Context, def *v1.CustomPromotionStep) (*plan, error) {
	spec := def.Spec
	if strings.TrimSpace(spec.Image) == "" || len(spec.Command) == 0 {
		return nil, errors.New("spec.image and spec.command are required")
	}
	exprCtx := sc.Ctx
	if exprCtx == nil { // a job from a scheduler that did not send its ctx
		exprCtx = map[string]any{
			"project": sc.Project, "stage": sc.Stage, "promotion": sc.Promotion,
			"meta": map[string]any{"step": map[string]any{"alias": sc.Alias}},
		}
	}
	vars := map[string]any{"config": orEmpty(sc.Config), "ctx": exprCtx}
	p := &plan{}
	for i, arg := range spec.Command {
		v, err := render(r.ev, arg, vars)
		if err != nil {
			return nil, fmt.Errorf("spec.command[%d]: %w", i, err)
		}
		p.args = append(p.args, v)
	}
	for i, e := range spec.Env {
		v, err := render(r.ev, e.Value, vars)
		if err != nil {
			return nil, fmt.Errorf("spec.env[%d] (%s): %w", i, e.Name, err)
		}
		p.env = append(p.env, e.Name+"="+v)
	}
	var err error
	if p.output, err = outputOf(spec.Output); err != nil {
		return nil, err
	}
	if spec.DefaultTimeout != "" {
		if p.timeout, err = time.ParseDuration(spec.DefaultTimeout); err != nil {
			return nil, fmt.Errorf("spec.defaultTimeout: %w", err)
		}
	}
	for _, c := range spec.Capabilities {
		if c == CapabilityNetwork {
			p.network = true
		}
	}
	if res := spec.Resources; res != nil {
		if q, ok := res.Limits["memory"]; ok {
			if p.resources.MemoryBytes, err = parseMemory(q); err != nil {
				return nil, fmt.Errorf("spec.resources.limits.memory: %w", err)
			}
		}
		if q, ok := res.Limits["cpu"]; ok {
			if p.resources.MilliCPU, err = parseCPU(q); err != nil {
				return nil, fmt.Errorf("spec.resources.limits.cpu: %w", err)
			}
		}
	}
	p.resources.Pids = 1024
	return p, nil
}

// auth returns the credentials to pull the image with: the first imagePullSecret, else the
// project's image credentials for the image's repository, else anonymous.
func (r *Runner) auth(ctx context.Context, project string, def *v1.CustomPromotionStep) (authn.Authenticator, error) {
	if r.secrets == nil {
		if len(def.Spec.ImagePullSecrets) > 0 {
			return nil, errors.New("spec.imagePullSecrets: this executor has no secret store (start it with a secrets key)")
		}
		return authn.Anonymous, nil
	}
	for _, ref := range def.Spec.ImagePullSecrets {
		s, err := r.secrets.Get(ctx, project, ref.Name)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, fmt.Errorf("spec.imagePullSecrets: project %s has no secret %q", project, ref.Name)
		}
		return &authn.Basic{Username: string(s.Data["username"]), Password: string(s.Data["password"])}, nil
	}
	ref, err := name.ParseReference(def.Spec.Image)
	if err != nil {
		return nil, fmt.Errorf("spec.image: %w", err)
	}
	c, err := r.secrets.Credentials(ctx, project, secret.TypeImage, ref.Context().Name())
	if err != nil || c == nil {
		return authn.Anonymous, err
	}
	return &authn.Basic{Username: c.Username, Password: c.Password}, nil
}

// run runs the container in the workspace and turns how it ended into the step's result.
// It leaves the workspace owned by the executor again.
func (r *Runner) run(ctx context.Context, sc *steps.Context, uses string, p *plan, img *imagecache.Image) (steps.Result, error) {
	if err := os.MkdirAll(r.runDir, 0o700); err != nil {
		return steps.Result{}, fmt.Errorf("step %q: %w", sc.Alias, err)
	}
	dir, err := os.MkdirTemp(r.runDir, "run-")
	if err != nil {
		return steps.Result{}, fmt.Errorf("step %q: %w", sc.Alias, err)
	}
	defer os.RemoveAll(dir)
	outFile := filepath.Join(dir, path.Base(OutputFile))
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		return steps.Result{}, fmt.Errorf("step %q: %w", sc.Alias, err)
	}
	if err := r.own(dir, r.uid, r.gid); err != nil {
		return steps.Result{}, fmt.Errorf("step %q: %w", sc.Alias, err)
	}
	if err := r.own(sc.WorkDir, r.uid, r.gid); err != nil {
		return steps.Result{}, fmt.Errorf("step %q: give the workspace to the container: %w", sc.Alias, err)
	}
	defer func() {
		if err := r.own(sc.WorkDir, r.hostUID, r.hostGID); err != nil {
			sc.Log.Error("take the workspace back from the container", "err", err)
		}
	}()

	limit := p.timeout
	if _, ok := ctx.Deadline(); !ok && limit == 0 {
		limit = r.maxRuntime
	}
	runCtx := ctx
	if limit > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	stdout, stderr := container.NewTail(captureMax), container.NewTail(captureMax)
	started := time.Now()
	exit, err := r.rt.Run(runCtx, container.Config{
		Rootfs: img.Rootfs, Args: p.args, Env: environ(img.Config.Env, p.env), Cwd: WorkspaceDir,
		UID: uint32(r.uid), GID: uint32(r.gid), Network: p.network, Resources: p.resources,
		Mounts: []container.Mount{
			{Source: sc.WorkDir, Destination: WorkspaceDir},
			{Source: dir, Destination: path.Dir(OutputFile)},
		},
	}, stdout, stderr)
	if err != nil {
		return steps.Result{}, fmt.Errorf("step %q (%s): %w", sc.Alias, uses, err)
	}
	sc.Log.Debug("container exited", "image", img.Digest.String(), "code", exit.Code, "killed", exit.Killed, "duration", time.Since(started))
	if exit.Killed {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return steps.Result{}, fmt.Errorf("step %q (%s): container killed: %w", sc.Alias, uses, ctx.Err())
		}
		why := "at the step's deadline"
		if ctx.Err() == nil {
			why = "after " + limit.String()
		}
		return steps.Result{}, steps.Reasoned("TimedOut", fmt.Errorf("step %q (%s): timed out: command killed %s%s", sc.Alias, uses, why, tails(stdout, stderr)))
	}
	outputs, outErr := r.outputs(sc, p.output, outFile, stdout, stderr)
	if exit.Code != 0 {
		return steps.Result{Outputs: outputs}, steps.Failed(steps.Reasoned("NonZeroExit",
			fmt.Errorf("step %q (%s): command exited with code %d%s", sc.Alias, uses, exit.Code, tails(stdout, stderr))))
	}
	if outErr != nil {
		return steps.Result{}, steps.Terminal(steps.Reasoned("InvalidOutput", fmt.Errorf("step %q (%s): %w", sc.Alias, uses, outErr)))
	}
	return steps.Result{Outputs: outputs}, nil
}

// outputs reads and parses what the command wrote to its output source.
func (r *Runner) outputs(sc *steps.Context, o outputSpec, outFile string, stdout, stderr *container.Tail) (map[string]any, error) {
	var raw []byte
	switch o.source {
	case SourceStdout, SourceStderr:
		t := stdout
		if o.source == SourceStderr {
			t = stderr
		}
		if t.Truncated() {
			return nil, fmt.Errorf("%s is %d bytes, more than the limit of %d", strings.ToLower(o.source), t.Total(), captureMax)
		}
		raw = t.Bytes()
	case SourcePipe:
		b, err := readLimited(os.Open(outFile))
		if err != nil {
			return nil, fmt.Errorf("read $KARGO_OUTPUT: %w", err)
		}
		raw = b
	case SourceFile:
		rel := o.path
		if path.IsAbs(rel) {
			var ok bool
			if rel, ok = strings.CutPrefix(path.Clean(rel), WorkspaceDir+"/"); !ok {
				return nil, fmt.Errorf("spec.output.source.path %q: an absolute path must be under %s", o.path, WorkspaceDir)
			}
		}
		b, err := readLimited(sc.Dir.Open(filepath.FromSlash(rel)))
		if err != nil {
			return nil, fmt.Errorf("read output file %s: %w", o.path, err)
		}
		raw = b
	}
	return o.parse(r.ev, raw)
}

func readLimited(f *os.File, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, captureMax+1))
	if err != nil {
		return nil, err
	}
	if len(b) > captureMax {
		return nil, fmt.Errorf("more than the limit of %d bytes", captureMax)
	}
	return b, nil
}

// own gives every entry under dir to uid:gid, without following symlinks. It does nothing
// when the runner runs the command as itself.
func (r *Runner) own(dir string, uid, gid int) error {
	if r.uid == r.hostUID && r.gid == r.hostGID {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// environ is the image's environment, then defaults, then KARGO_OUTPUT, then the step's own
// variables; a later name replaces an earlier one in place.
func environ(image, step []string) []string {
	var out []string
	at := map[string]int{}
	add := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := at[k]; ok {
			out[i] = kv
			return
		}
		at[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range image {
		add(kv)
	}
	if _, ok := at["PATH"]; !ok {
		add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if _, ok := at["HOME"]; !ok {
		add("HOME=/tmp")
	}
	add("KARGO_OUTPUT=" + OutputFile)
	for _, kv := range step {
		add(kv)
	}
	return out
}

// tails renders the end of stdout and stderr for a message.
func tails(stdout, stderr *container.Tail) string {
	var b strings.Builder
	for _, x := range []struct {
		name string
		t    *container.Tail
	}{{"stdout", stdout}, {"stderr", stderr}} {
		out := x.t.Bytes()
		if len(out) == 0 {
			continue
		}
		if len(out) > messageTail {
			out = out[len(out)-messageTail:]
			fmt.Fprintf(&b, "\n%s (last %d bytes):\n", x.name, messageTail)
		} else {
			fmt.Fprintf(&b, "\n%s:\n", x.name)
		}
		b.Write(out)
	}
	return strings.TrimRight(b.String(), "\n")
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
