// Command dray drives Dray: dray up runs every service in one process; apply, get and
// promote talk to a running gateway.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/drayhq/dray/pkg/client"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "dray:", err)
		os.Exit(1)
	}
}

type globals struct {
	server    string
	project   string
	tokenFile string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "dray",
		Short: "Dray promotes software through environments, GitOps-style, on NATS",
		Example: `  dray up --demo
  dray get stages
  dray promote --stage dev --freight quiet-lynx --wait`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.server, "server", os.Getenv("DRAY_SERVER"), "gateway URL ($DRAY_SERVER; default: the current context of the dray config, else "+client.DefaultURL+")")
	root.PersistentFlags().StringVar(&g.tokenFile, "token-file", os.Getenv("DRAY_TOKEN_FILE"), "file holding the API token to send ($DRAY_TOKEN_FILE; default: $DRAY_TOKEN, else the token of the server's context in the dray config)")
	root.PersistentFlags().StringVarP(&g.project, "project", "p", os.Getenv("DRAY_PROJECT"), "project ($DRAY_PROJECT; default: the only project)")
	registerNameCompletion(root, g, "project", "projects")
	root.AddCommand(newUp(), newApply(g), newDelete(g), newGet(g), newPromote(g), newAbort(g), newApprove(g), newAnswer(g), newReject(g, false), newReject(g, true), newAlias(g), newVerify(g), newPause(g, "pause"), newPause(g, "resume"), newRefresh(g), newLint(), newRun(g), newExpr(), newToken(g), newLogin(g), newAudit(g), newNATS(), newProbe(), newVersion())
	addHelpExamples(root)
	return root
}

// addHelpExamples gives cobra's own help and completion commands their examples.
func addHelpExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	shells := map[string]string{
		"bash":       "  source <(dray completion bash)\n  dray completion bash > /etc/bash_completion.d/dray",
		"zsh":        "  dray completion zsh > \"${fpath[1]}/_dray\"",
		"fish":       "  dray completion fish | source",
		"powershell": "  dray completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  dray help promote"
		case "completion":
			c.Example = "  source <(dray completion bash)\n  dray __complete get stages ''   # what the shell asks"
			for _, sh := range c.Commands() {
				sh.Example = shells[sh.Name()]
			}
		}
	}
}
