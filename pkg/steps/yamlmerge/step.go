package yamlmerge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "yaml-merge"

// Step is the yaml-merge step. It is safe for concurrent use.
type Step struct{}

var _ steps.Step = (*Step)(nil)

// New returns the yaml-merge step.
func New() *Step { return &Step{} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run merges config.inFiles into config.outFile and outputs commitMessage. A bad config or a
// path outside the workspace is terminal (Failed). A missing input (unless
// ignoreMissingFiles), YAML that does not parse and a write that fails are Errored; the output
// file is then left as it was.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	out, err := files.Local(sc, Name, "config.outFile", cfg.OutFile)
	if err != nil {
		return steps.Result{}, err
	}
	names := make([]string, len(cfg.InFiles))
	for i, in := range cfg.InFiles {
		if names[i], err = files.Local(sc, Name, fmt.Sprintf("config.inFiles[%d]", i), in); err != nil {
			return steps.Result{}, err
		}
	}
	var docs [][]byte
	var read []string
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			return steps.Result{}, err
		}
		field := fmt.Sprintf("config.inFiles[%d]", i)
		data, err := sc.Dir.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) && cfg.IgnoreMissingFiles {
			continue
		}
		if err != nil {
			return steps.Result{}, files.Error(sc, Name, field, "read", cfg.InFiles[i], err)
		}
		docs = append(docs, data)
		read = append(read, cfg.InFiles[i])
	}
	merged, err := Merge(docs)
	if err != nil {
		return steps.Result{}, fmt.Errorf("merge into %s: %w", cfg.OutFile, err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	if err := files.WriteFile(sc.Dir, out, merged, 0o644); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.outFile", "write", cfg.OutFile, err)
	}
	return steps.Result{
		Outputs: map[string]any{"commitMessage": commitMessage(read, cfg.OutFile)},
		Message: fmt.Sprintf("merged %d file(s) into %s", len(read), cfg.OutFile),
	}, nil
}

// commitMessage is "Wrote <in> to <out>" for one input, else "Merged N YAML files to <out>"
// and a "\n- <in>" line per input.
func commitMessage(in []string, out string) string {
	if len(in) == 1 {
		return fmt.Sprintf("Wrote %s to %s", in[0], out)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Merged %d YAML files to %s\n", len(in), out)
	for _, f := range in {
		b.WriteString("\n- " + f)
	}
	return b.String()
}
