package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// newAnswer is dray answer: it fills in the form of a Promotion's waiting get-user-input step
// (docs/steps/get-user-input.md).
func newAnswer(g *globals) *cobra.Command {
	var step, file string
	var sets []string
	cmd := &cobra.Command{
		Use:   "answer PROMOTION --step STEP (-f ANSWERS.json | --set KEY=VALUE ...)",
		Short: "Answer a Promotion's get-user-input step; the answers become the step's outputs",
		Long: `Answer the form of a Promotion's waiting get-user-input step. The answers must fit the
step's JSON schema; they become its outputs, which later steps read as
${{ outputs.<step>.<field> }}. Give them as a JSON object (-f, - for stdin) or field by field
(--set key=value; a value that reads as JSON — a number, true, false, null, an object — is
taken as such, anything else as a string). Who answered is recorded on the step and in the
audit trail.`,
		Example: `  dray answer prod.01jd8x2k7f.3f2a1c9 --step ticket --set ticket=CHG-1234 --set replicas=3
  dray answer prod.01jd8x2k7f.3f2a1c9 --step ticket -f answers.json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(g, "promotions"),
		RunE: func(cmd *cobra.Command, args []string) error {
			answers, err := readAnswers(cmd.InOrStdin(), file, sets)
			if err != nil {
				return err
			}
			c, project, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.AnswerStep(cmd.Context(), project, args[0], step, answers); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "answers to step %s of promotion %s sent\n", step, args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&step, "step", "", "the alias of the get-user-input step")
	cmd.Flags().StringVarP(&file, "file", "f", "", "a JSON object of answers (- reads stdin)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "an answer, key=value (repeatable)")
	_ = cmd.MarkFlagRequired("step")
	return cmd
}

// readAnswers reads the answers of dray answer: a JSON object from file, then each key=value of
// sets over it.
func readAnswers(stdin io.Reader, file string, sets []string) (map[string]any, error) {
	answers := map[string]any{}
	if file != "" {
		var data []byte
		var err error
		if file == "-" {
			data, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return nil, fmt.Errorf("read answers: %w", err)
		}
		if err := json.Unmarshal(data, &answers); err != nil || answers == nil {
			return nil, fmt.Errorf("answers in %s: want a JSON object such as {\"ticket\": \"CHG-1234\"}: %v", file, err)
		}
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		var val any
		if json.Unmarshal([]byte(v), &val) != nil {
			val = v
		}
		answers[k] = val
	}
	if len(answers) == 0 {
		return nil, fmt.Errorf("no answers: give -f ANSWERS.json or --set key=value")
	}
	return answers, nil
}
