package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// stages parses the Dockerfile with BuildKit's parser and linter; any warning fails.
func stages(t *testing.T) []instructions.Stage {
	t.Helper()
	f, err := os.Open(filepath.Join(Root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		t.Errorf("Dockerfile line %v: %s: %s (%s)", loc, rule, msg, url)
	}})
	st, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return st
}

func commands[T any](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if v, ok := c.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// The Dockerfile builds every service binary in one stage and ships two images: the default,
// distroless and non-root, and executor-container, which carries runc and runs as root (runc
// must). Every COPY --from names an earlier stage, every base is pinned to a tag, and the
// binaries the chart and compose run are the ones built.
func TestDockerfile(t *testing.T) {
	st := stages(t)
	byName := map[string]instructions.Stage{}
	var order []string
	for _, s := range st {
		byName[s.Name] = s
		order = append(order, s.Name)
	}
	if !slices.Equal(order, []string{"build", "executor-container", "dray"}) {
		t.Fatalf("stages %v, want build, executor-container and dray (the default, so last)", order)
	}
	for _, s := range st {
		if _, stage := byName[s.BaseName]; !stage && (!strings.Contains(s.BaseName, ":") || strings.HasSuffix(s.BaseName, ":latest")) {
			t.Errorf("stage %s: base %q is not pinned to a tag", s.Name, s.BaseName)
		}
		for _, c := range commands[*instructions.CopyCommand](s) {
			if c.From == "" {
				continue
			}
			if i := slices.Index(order, c.From); i < 0 || i >= slices.Index(order, s.Name) {
				t.Errorf("stage %s: COPY --from=%s is no earlier stage", s.Name, c.From)
			}
		}
	}

	// build: the CLI and every service, the binaries the chart and compose run
	var built string
	for _, r := range commands[*instructions.RunCommand](byName["build"]) {
		if cmd := strings.Join(r.CmdLine, " "); strings.Contains(cmd, "go build") {
			built = cmd
		}
	}
	if !strings.Contains(built, "./cmd/dray") || !strings.Contains(built, "./services/*/cmd/*") || !strings.Contains(built, "CGO_ENABLED=0") {
		t.Errorf("build stage: %q does not build static binaries of ./cmd/dray and ./services/*/cmd/*", built)
	}
	for _, svc := range services {
		if _, err := os.Stat(filepath.Join(Root, "services", svc, "cmd", "dray-"+svc, "main.go")); err != nil {
			t.Errorf("the chart and compose run dray-%s, which ./services/*/cmd/* does not build: %v", svc, err)
		}
	}

	// dray: distroless, so no RUN (there is no shell); non-root
	d := byName["dray"]
	if len(commands[*instructions.RunCommand](d)) > 0 {
		t.Error("stage dray: RUN in a distroless stage (it has no shell)")
	}
	if u := lastUser(t, d); u == "" || u == "0" || u == "root" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
		t.Errorf("stage dray runs as %q, want a non-root user", u)
	}
	checkEntrypoint(t, d, "dray")

	// executor-container: runc installed, root (the documented exception)
	e := byName["executor-container"]
	installs := false
	for _, r := range commands[*instructions.RunCommand](e) {
		words := strings.Fields(strings.Join(r.CmdLine, " "))
		if slices.Contains(words, "install") && slices.Contains(words, "runc") {
			installs = true
		}
	}
	if !installs {
		t.Error("stage executor-container does not install runc")
	}
	if u := lastUser(t, e); u != "0:0" && u != "0" && u != "root" {
		t.Errorf("stage executor-container runs as %q: runc must run as root", u)
	}
	checkEntrypoint(t, e, "dray-executor-container")
	copied := false
	for _, c := range commands[*instructions.CopyCommand](e) {
		if c.From == "build" && slices.Contains(c.SourcePaths, "/out/dray-executor-container") {
			copied = true
		}
	}
	if !copied {
		t.Error("stage executor-container does not copy dray-executor-container from build")
	}
}

func lastUser(t *testing.T, s instructions.Stage) string {
	t.Helper()
	us := commands[*instructions.UserCommand](s)
	if len(us) == 0 {
		t.Errorf("stage %s has no USER: it would run as its base image's user", s.Name)
		return ""
	}
	return us[len(us)-1].User
}

func checkEntrypoint(t *testing.T, s instructions.Stage, want string) {
	t.Helper()
	ep := commands[*instructions.EntrypointCommand](s)
	if len(ep) != 1 || ep[0].PrependShell || !slices.Equal(ep[0].CmdLine, []string{want}) {
		t.Errorf("stage %s: ENTRYPOINT %+v, want [%q] in exec form", s.Name, ep, want)
	}
}

// .dockerignore keeps local data, keys and seeds, build output and .git out of the build
// context, and leaves in every file the repository tracks (what the build needs).
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(Root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	excluded := func(p string) bool {
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range []string{
		"secrets.key", ".dray/secrets.key", ".dray/nats/jetstream/x", ".dray/nats-admin.nk", ".dray/admin.token",
		"cmd/dray/.dray/secrets.key", "bin/dray-gateway", "dray", ".git/config",
		"nats/nats.conf", "nats/gateway.nk", "seeds/admin.nk", "deploy/tls/tls.key", "x/ci.creds", ".env",
	} {
		if !excluded(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	out, err := exec.Command("git", "-C", Root, "ls-files").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	tracked := strings.Fields(string(out))
	if len(tracked) < 100 {
		t.Fatalf("git ls-files listed %d files", len(tracked))
	}
	for _, p := range tracked {
		if excluded(p) {
			t.Errorf(".dockerignore leaves out %s, which the repository tracks", p)
		}
	}
}
