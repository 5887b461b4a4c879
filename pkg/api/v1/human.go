package v1

import "time"

// StepInputCommand is a person's answer to a human step of a running Promotion
// (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md): an approval of a
// wait-for-approval step, or the answers to a get-user-input step's form. Published on
// dray.cmd.<project>.input by the gateway alone, which fills in Actor, Roles and Claims from
// the identity it authenticated; a token may not send it on the bus.
type StepInputCommand struct {
	Project   string `json:"project"`
	Promotion string `json:"promotion"`
	// Step is the alias of the waiting step.
	Step string `json:"step"`
	// Actor is who answers, as the gateway authenticated it, e.g. oidc:alice (alice@example.com).
	Actor string `json:"actor,omitempty"`
	// Roles are the roles the actor acts as in the project (a token's role, or the
	// ServiceAccounts an OIDC user's claims map to), for the approver rule.
	Roles []string `json:"roles,omitempty"`
	// Claims are an OIDC user's claims by name (sub, email, groups), for the approver rule.
	Claims map[string][]string `json:"claims,omitempty"`
	// Approve approves a wait-for-approval step.
	Approve bool `json:"approve,omitempty"`
	// Answers answer a get-user-input step's form.
	Answers map[string]any `json:"answers,omitempty"`
	// Comment says why, for the record.
	Comment string `json:"comment,omitempty"`
}

// StepInput is one person's recorded answer to a human step: an approval or a form's answers.
type StepInput struct {
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	// Approved is an approval of a wait-for-approval step.
	Approved bool `json:"approved,omitempty"`
	// Answers are the answers to a get-user-input step's form.
	Answers map[string]any `json:"answers,omitempty"`
	Comment string         `json:"comment,omitempty"`
}
