package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

func newExpr() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "expr",
		Short:   "Work with ${{ }} expressions",
		Example: "  dray expr eval '${{ 40 + 2 }}'",
	}
	cmd.AddCommand(newExprEval())
	return cmd
}

func newExprEval() *cobra.Command {
	var envFile string
	cmd := &cobra.Command{
		Use:   "eval EXPR [--env env.json]",
		Short: "Print the value of a template or a bare expression as JSON",
		Long: `Evaluate EXPR and print its value as indented JSON. EXPR is a template when it holds
${{ }} or ${% %}, evaluated as in a step's config (with quote, imageFrom, semverParse and the
other template functions), and a bare expr-lang expression otherwise (builtins only).

--env names a JSON file with the environment; every key is optional:
  {"ctx": {...}, "vars": {...}, "outputs": {...}, "task": {"outputs": {...}}, "freight": [Freight...]}`,
		Example: `  dray expr eval '${{ 40 + 2 }}'
  dray expr eval 'vars.replicas * 2' --env env.json
  dray expr eval '${{ imageFrom("ghcr.io/shop/web").Tag }}' --env env.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := readExprEnv(envFile)
			if err != nil {
				return err
			}
			v, err := evalExpr(args[0], env)
			if err != nil {
				return err
			}
			return printExprValue(cmd.OutOrStdout(), v)
		},
	}
	cmd.Flags().StringVar(&envFile, "env", "", "JSON file with ctx, vars, outputs, task.outputs and freight")
	return cmd
}

// exprEnv is the file --env names.
type exprEnv struct {
	Ctx     map[string]any `json:"ctx"`
	Vars    map[string]any `json:"vars"`
	Outputs map[string]any `json:"outputs"`
	Task    *struct {
		Outputs map[string]any `json:"outputs"`
	} `json:"task"`
	Freight []v1.Freight `json:"freight"`
}

// readExprEnv reads --env, rejecting unknown keys so a typo does not go unnoticed; no file
// means an empty environment.
func readExprEnv(file string) (*exprEnv, error) {
	env := &exprEnv{Ctx: map[string]any{}, Vars: map[string]any{}, Outputs: map[string]any{}}
	if file == "" {
		return env, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--env: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(env); err != nil {
		return nil, fmt.Errorf("--env %s: %w", file, err)
	}
	for _, m := range []*map[string]any{&env.Ctx, &env.Vars, &env.Outputs} {
		if *m == nil {
			*m = map[string]any{}
		}
	}
	return env, nil
}

// evalExpr evaluates s as a template when it opens ${{ or ${%, else as a bare expression.
func evalExpr(s string, env *exprEnv) (any, error) {
	ev := expr.New()
	if strings.Contains(s, "${{") || strings.Contains(s, "${%") {
		e := &expr.Env{Ctx: env.Ctx, Vars: env.Vars, Outputs: env.Outputs, Freight: env.Freight}
		if env.Task != nil {
			e.TaskOutputs = env.Task.Outputs
			if e.TaskOutputs == nil {
				e.TaskOutputs = map[string]any{}
			}
		}
		return ev.Template(s, e)
	}
	vars := map[string]any{"ctx": env.Ctx, "vars": env.Vars, "outputs": env.Outputs}
	if env.Task != nil {
		vars["task"] = map[string]any{"outputs": env.Task.Outputs}
	}
	return ev.Bare(s, vars)
}

func printExprValue(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
