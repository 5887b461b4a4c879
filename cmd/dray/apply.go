package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/client"
	"github.com/drayhq/dray/pkg/manifest"
)

func newApply(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Validate resources and store them, all or nothing",
		Long: `Validate Kargo-shaped resources (apiVersion kargo.akuity.io/v1alpha1) from files or
directories and store them. The server checks everything dray lint checks, the resources
they name (Warehouses, upstream Stages, tasks, message channels, Freight aliases) and the
limits of docs/limits.md. If any check fails, each problem is printed with its file,
resource and field, and nothing is stored. -f - reads standard input. A kind: List (what
dray get -o yaml prints for several objects) is applied item by item; status is ignored.`,
		Example: `  dray apply -f examples/guestbook
  dray apply -f project.yaml -f stages/
  dray get stages -o yaml | dray apply -f -`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("name manifests with -f FILE or -f DIR")
			}
			objs, err := readManifests(cmd, files)
			if err != nil {
				return fmt.Errorf("nothing was applied:\n%w", err)
			}
			c, err := g.newClient()
			if err != nil {
				return err
			}
			resp, err := c.Apply(cmd.Context(), rawJSON(objs))
			if err != nil {
				return fmt.Errorf("nothing was applied:\n%w", inFiles(err, objs))
			}
			for _, a := range resp.Applied {
				fmt.Fprintf(cmd.OutOrStdout(), "%s/%s %s\n", a.Kind, a.Name, a.Result)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file or directory, or - for standard input (repeatable)")
	return cmd
}

// readManifests decodes the resources of files: each a file, a directory, or - for standard
// input.
func readManifests(cmd *cobra.Command, files []string) ([]manifest.Object, error) {
	var objs []manifest.Object
	for _, f := range files {
		var got []manifest.Object
		if f == "-" {
			data, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxStdin+1))
			if err != nil {
				return nil, fmt.Errorf("read manifests from standard input: %w", err)
			}
			if len(data) > maxStdin {
				return nil, fmt.Errorf("standard input holds more than %d MiB of manifests: use files", maxStdin>>20)
			}
			if got, err = manifest.Decode("<stdin>", data); err != nil {
				return nil, err
			}
			objs = append(objs, got...)
			continue
		}
		info, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			got, err = manifest.DecodeDir(f)
		} else {
			got, err = manifest.DecodeFile(f)
		}
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

// maxStdin bounds what apply -f - reads.
const maxStdin = 64 << 20

// inFiles names, in the problems of err that the server found, the file each resource came
// from: the server knows only its place in the request ("request document 3").
func inFiles(err error, objs []manifest.Object) error {
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	for _, p := range apiErr.Problems {
		var n int
		if _, scanErr := fmt.Sscanf(p.File, "request document %d", &n); scanErr == nil && n >= 1 && n <= len(objs) && objs[n-1].File != "" {
			p.File = objs[n-1].File
		}
	}
	return err
}

func rawJSON(objs []manifest.Object) []json.RawMessage {
	out := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		out[i] = o.JSON
	}
	return out
}
