package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/lint"
	"github.com/drayhq/dray/pkg/manifest"
)

func newLint() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "lint -f FILE|DIR",
		Short: "Check promotion templates and tasks before they run",
		Long: `Check the promotion templates of Stages, PromotionTasks and ClusterPromotionTasks in
files or directories, without a server: unknown step kinds, config that cannot match a step's
schema, expressions that do not compile, outputs and vars that no earlier step or variable
defines, task variables without a value, and duplicate or reserved aliases.

Each problem is printed on one line as "error: " or "warning: " followed by
file: Resource: path: step "alias": message. The command fails when any problem is an error.`,
		Example: `  dray lint -f examples/guestbook
  dray lint -f stages/ -f tasks.yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("name manifests with -f FILE or -f DIR")
			}
			findings, err := lintFiles(files)
			if err != nil {
				return err
			}
			return printFindings(cmd, findings)
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file or directory (repeatable)")
	return cmd
}

// lintFiles decodes the manifests and checks them. Manifests that do not decode cannot be
// linted: their problems are returned as the findings.
func lintFiles(files []string) ([]lint.Finding, error) {
	var objs []manifest.Object
	var decodeErrs []error
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		var got []manifest.Object
		if info.IsDir() {
			got, err = manifest.DecodeDir(f)
		} else {
			got, err = manifest.DecodeFile(f)
		}
		if err != nil {
			decodeErrs = append(decodeErrs, err)
			continue
		}
		objs = append(objs, got...)
	}
	if len(decodeErrs) == 0 {
		return lint.Check(objs), nil
	}
	var findings []lint.Finding
	for _, err := range decodeErrs {
		for _, e := range flatten(err) {
			var fe *v1.FieldError
			if !errors.As(e, &fe) {
				return nil, e
			}
			findings = append(findings, lint.Finding{File: fe.File, Resource: fe.Resource, Path: fe.Path, Msg: fe.Msg, Severity: lint.Error})
		}
	}
	return findings, nil
}

// flatten unwraps errors.Join.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// printFindings prints one finding per line and fails when any is an error.
func printFindings(cmd *cobra.Command, findings []lint.Finding) error {
	out := cmd.OutOrStdout()
	errs, warnings := 0, 0
	for _, f := range findings {
		fmt.Fprintf(out, "%s: %s\n", f.Severity, f)
		if f.Severity == lint.Error {
			errs++
		} else {
			warnings++
		}
	}
	switch {
	case errs > 0:
		return fmt.Errorf("%s, %s", plural(errs, "error"), plural(warnings, "warning"))
	case warnings > 0:
		fmt.Fprintf(out, "no errors, %s\n", plural(warnings, "warning"))
	default:
		fmt.Fprintln(out, "no problems found")
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
