package warehouse_test

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/services/warehouse"
)

// TestAllowGitTransportFlag: --allow-git-transport fills GitTransports, and an unknown
// transport is refused when the flags are parsed.
func TestAllowGitTransportFlag(t *testing.T) {
	var o warehouse.Options
	fs := flag.NewFlagSet("warehouse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--allow-git-transport", "file", "--allow-git-transport", "git,file"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(gitrepo.Transports{gitrepo.TransportFile, gitrepo.TransportGit}, o.GitTransports); diff != "" {
		t.Errorf("GitTransports (-want +got):\n%s", diff)
	}
	fs = flag.NewFlagSet("warehouse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--allow-git-transport", "ftp"}); err == nil || !strings.Contains(err.Error(), `"ftp"`) {
		t.Errorf("Parse(--allow-git-transport ftp) = %v, want an error naming ftp", err)
	}
}
