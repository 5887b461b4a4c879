package gateway

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/store"
)

// approveStep and answerStep take, for the step the body names, a person's approval of a wait-for-approval step or answers
// to a get-user-input step (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md).
// Both need promote on the Promotion's Stage (who may move Freight there may sign it off or
// fill in its form); for an approval, the step's approver rule decides as well. Who the
// person is — actor, roles, OIDC claims — comes from the identity authenticated here,
// never from the body. An input that cannot count is refused at once (409 when the step
// does not wait, 422 otherwise); the scheduler checks again before the state service records
// it, and the command is in the audit trail either way.
func (a *api) approveStep(w http.ResponseWriter, r *http.Request) { a.stepInput(w, r, true) }

func (a *api) answerStep(w http.ResponseWriter, r *http.Request) { a.stepInput(w, r, false) }

func (a *api) stepInput(w http.ResponseWriter, r *http.Request, approve bool) {
	var body struct {
		Step    string         `json:"step"`
		Answers map[string]any `json:"answers"`
		// Form is the web UI's form: text fields, typed by the step's schema.
		Form    map[string]string `json:"form"`
		Comment string            `json:"comment"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf(`decode step input: want {"step": "<alias>", …}: %w`, err))
		return
	}
	project, name, step := r.PathValue("project"), r.PathValue("name"), body.Step
	if err := stepAlias(step); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	p, err := store.Promotion(r.Context(), a.Bus, project, name)
	if err != nil {
		reply(w, nil, err)
		return
	}
	if !a.authorizeName(w, r, access.VerbPromote, access.ResourceStages, p.Spec.Stage) {
		return
	}
	id := identity(r)
	cmd := v1.StepInputCommand{Project: project, Promotion: name, Step: step, Actor: id.Actor(),
		Roles: id.Roles(project, a.auth.policies.Get(project)), Approve: approve, Comment: body.Comment}
	if id.OIDC != nil {
		cmd.Claims = id.OIDC.Claims
	}
	if !approve {
		cmd.Answers = body.Answers
		if cmd.Answers == nil && body.Form != nil {
			if cmd.Answers, err = formAnswers(p, step, body.Form); err != nil {
				writeError(w, http.StatusUnprocessableEntity, fmt.Errorf("promotion %s, step %q: %w", name, step, err))
				return
			}
		}
	}
	who := promotion.Person{Actor: cmd.Actor, Roles: cmd.Roles, Claims: cmd.Claims}
	if why := promotion.RefuseInput(p, step, who, approve, cmd.Answers); why != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(why, promotion.ErrNotWaiting) {
			status = http.StatusConflict
		}
		writeError(w, status, fmt.Errorf("promotion %s, step %q: %w", name, step, why))
		return
	}
	if err := a.Bus.Publish(r.Context(), bus.CommandSubject(project, "input"), "input/"+rand.Text(), &cmd); err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	a.Log.Info("step input sent", "project", project, "promotion", name, "step", step, "actor", cmd.Actor, "approve", approve)
	w.WriteHeader(http.StatusAccepted)
}

// formAnswers types the web UI's form fields by the schema of step alias of p, when it is a
// waiting get-user-input step; otherwise the fields go as they are, and are refused there.
func formAnswers(p *v1.Promotion, alias string, form map[string]string) (map[string]any, error) {
	out := map[string]any{}
	if _, m, ok := promotion.Waiting(p, alias); ok {
		if cfg, err := promotion.DecodeHuman(m.Uses, m.Alias, m.Config); err == nil {
			if c, ok := cfg.(promotion.InputConfig); ok {
				return c.FormAnswers(form)
			}
		}
	}
	for k, v := range form {
		out[k] = v
	}
	return out, nil
}

// stepAlias checks the alias of the step an input is for: 1 to 253 bytes of printable ASCII
// without spaces (a task's steps are task::step), as the scheduler checks it again.
func stepAlias(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("step: the alias of the step must be 1 to 253 characters long, got %d", len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("step: alias %q holds %q: use the alias the Promotion shows", s, c)
		}
	}
	return nil
}
