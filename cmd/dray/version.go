package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of dray: its module version and the commit it was built from",
		Example: "  dray version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionString(debug.ReadBuildInfo()))
			return nil
		},
	}
}

// versionString says dray's module version (or (devel) when built from a work tree), the
// commit and its time, and whether the tree had changes, as the go command recorded them.
func versionString(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "dray (no build information: built without module support)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	s := "dray " + info.Main.Version
	if c := settings["vcs.revision"]; c != "" {
		s += ", commit " + c
		if t := settings["vcs.time"]; t != "" {
			s += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			s += ", with uncommitted changes"
		}
	} else {
		s += ", commit unknown (built without VCS stamping, e.g. go run or -buildvcs=false)"
	}
	return s + ", " + info.GoVersion
}
