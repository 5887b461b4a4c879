package promotion

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/schema"
	"github.com/drayhq/dray/pkg/steps"
)

// The human steps (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md) wait for
// people without polling: the scheduler records them Running with a message saying what they
// wait for, a person's input is recorded on the step (AddInput), and the step is decided
// again (Human) when an input is recorded or its timeout passes.
const (
	WaitForApproval = "wait-for-approval"
	GetUserInput    = "get-user-input"
)

// DefaultHumanTimeout is how long a human step waits when its config sets no timeout.
const DefaultHumanTimeout = 24 * time.Hour

// IsHuman reports whether uses is a human step.
func IsHuman(uses string) bool { return uses == WaitForApproval || uses == GetUserInput }

// ApprovalConfig is the config of wait-for-approval (schemas/steps/wait-for-approval.json).
type ApprovalConfig struct {
	// Approvals is N, how many different approvers must approve; default 1.
	Approvals int `json:"approvals,omitempty"`
	// Approvers say who may approve: anyone matching one of them.
	Approvers Approvers `json:"approvers"`
	// ExcludeRequester refuses the approval of whoever asked for the Promotion.
	ExcludeRequester bool `json:"excludeRequester,omitempty"`
	// Timeout is how long the step waits; default 24h.
	Timeout string `json:"timeout,omitempty"`
	// Message is shown to approvers.
	Message string `json:"message,omitempty"`
}

// InputConfig is the config of get-user-input (schemas/steps/get-user-input.json).
type InputConfig struct {
	// Schema is the JSON schema of the form; its top-level properties are the fields.
	Schema map[string]any `json:"schema"`
	// Timeout is how long the step waits; default 24h.
	Timeout string `json:"timeout,omitempty"`
	// Message is shown above the form.
	Message string `json:"message,omitempty"`
}

// Approvers say who may approve: someone acting as one of Roles in the project, or whose
// OIDC claims match Claims as pkg/access maps users to ServiceAccounts (some claim has one of
// the values listed for it).
type Approvers struct {
	Roles  []string            `json:"roles,omitempty"`
	Claims map[string][]string `json:"claims,omitempty"`
}

// Person is who gives an input, as authentication established it.
type Person struct {
	Actor  string
	Roles  []string
	Claims map[string][]string
}

// Match reports whether p is one of the approvers.
func (a Approvers) Match(p Person) bool {
	for _, r := range a.Roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return access.Claims(p.Claims).Matches(access.Claims(a.Claims))
}

// String names the approvers for people: "release-managers" or "role release-managers or
// groups sre".
func (a Approvers) String() string {
	var parts []string
	for _, r := range a.Roles {
		parts = append(parts, r)
	}
	claims := make([]string, 0, len(a.Claims))
	for c := range a.Claims {
		claims = append(claims, c)
	}
	sort.Strings(claims)
	for _, c := range claims {
		if len(a.Claims[c]) > 0 {
			parts = append(parts, c+" "+strings.Join(a.Claims[c], ", "))
		}
	}
	return strings.Join(parts, " or ")
}

// Individuals is M when the approvers name people one by one (sub and email claims only): how
// many there are. 0 when they name a role or a group, whose members Dray cannot count.
func (a Approvers) Individuals() int {
	if len(a.Roles) > 0 {
		return 0
	}
	n := 0
	for c, vs := range a.Claims {
		if c != "sub" && c != "email" {
			return 0
		}
		n += len(vs)
	}
	return n
}

// Need is N, the approvals the step needs.
func (c ApprovalConfig) Need() int { return max(c.Approvals, 1) }

// CheckApproval reports what is wrong with a wait-for-approval config that decoded, each
// problem naming its field: no approver, N greater than the M people named, a bad timeout.
// roleExists, when set, says whether the project has a role; a role it has not matches nobody.
func CheckApproval(c ApprovalConfig, roleExists func(string) bool) error {
	var errs []error
	if len(c.Approvers.Roles) == 0 && len(c.Approvers.Claims) == 0 {
		errs = append(errs, errors.New("config.approvers: names nobody: list roles, or claims such as groups or email"))
	}
	for name, vs := range c.Approvers.Claims {
		if len(vs) == 0 {
			errs = append(errs, fmt.Errorf("config.approvers.claims.%s: lists no value, so it matches nobody", name))
		}
	}
	if roleExists != nil {
		for i, r := range c.Approvers.Roles {
			if !roleExists(r) {
				errs = append(errs, fmt.Errorf("config.approvers.roles[%d]: role %q does not exist in the project, so it matches nobody: declare a ServiceAccount or Role of that name, or use a built-in role (viewer, developer, admin)", i, r))
			}
		}
	}
	if m := c.Approvers.Individuals(); m > 0 && c.Need() > m {
		errs = append(errs, fmt.Errorf("config.approvals: %d approvals needed but the approvers name only %d people", c.Need(), m))
	}
	if _, err := humanTimeout(c.Timeout); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckInput reports what is wrong with a get-user-input config that decoded: a schema that
// is not a valid JSON schema of an object, a bad timeout.
func CheckInput(c InputConfig) error {
	var errs []error
	if _, err := schema.Compile(c.Schema); err != nil {
		errs = append(errs, fmt.Errorf("config.schema: %w", err))
	}
	if _, err := humanTimeout(c.Timeout); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func humanTimeout(s string) (time.Duration, error) {
	if s == "" {
		return DefaultHumanTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("config.timeout: %q is not a positive duration such as 30m or 24h", s)
	}
	return d, nil
}

// Approved lists, in order, the actors whose approvals count: each person once, and not the
// requester when the config excludes them.
func Approved(c ApprovalConfig, inputs []v1.StepInput, requester string) []string {
	var out []string
	for _, in := range inputs {
		if !in.Approved || slices.Contains(out, in.Actor) || c.ExcludeRequester && in.Actor == requester {
			continue
		}
		out = append(out, in.Actor)
	}
	return out
}

// RefuseApproval says why p may not approve a wait-for-approval step with config c that has
// recorded inputs, for the Promotion requester asked for; nil when the approval counts.
func RefuseApproval(c ApprovalConfig, inputs []v1.StepInput, requester string, p Person) error {
	switch {
	case !c.Approvers.Match(p):
		return fmt.Errorf("%s is not an approver of this step: approvers are %s", p.Actor, c.Approvers)
	case c.ExcludeRequester && p.Actor == requester:
		return fmt.Errorf("%s asked for this Promotion and may not approve it (excludeRequester)", p.Actor)
	case slices.Contains(Approved(c, inputs, requester), p.Actor):
		return fmt.Errorf("%s has approved this step already: each approver counts once", p.Actor)
	}
	return nil
}

// Outcome is what a human step comes to.
type Outcome struct {
	// Status is Running while the step waits, Succeeded or Failed.
	Status, Reason, Message string
	// Outputs are a get-user-input step's answers.
	Outputs map[string]any
	// Deadline is when a waiting step times out.
	Deadline time.Time
}

// Human decides a human step of kind uses, with config cfg (decoded), from the inputs
// recorded on m (nil before its first attempt), at now. requester is the Promotion's
// kargo.akuity.io/create-actor. It fails the step once its timeout has passed since it
// started.
func Human(uses string, cfg any, m *v1.StepExecutionMetadata, requester string, now time.Time) Outcome {
	var inputs []v1.StepInput
	started := now
	if m != nil {
		inputs = m.Inputs
		if m.StartedAt != nil {
			started = *m.StartedAt
		}
	}
	switch c := cfg.(type) {
	case ApprovalConfig:
		d, _ := humanTimeout(c.Timeout)
		have := Approved(c, inputs, requester)
		if len(have) >= c.Need() {
			return Outcome{Status: v1.StepSucceeded, Message: "approved by " + strings.Join(have, ", ")}
		}
		o := Outcome{Status: v1.StepRunning, Reason: "WaitingForApproval", Deadline: started.Add(d),
			Message: fmt.Sprintf("waiting for %d more approval%s of %s", c.Need()-len(have), plural(c.Need()-len(have)), c.Approvers)}
		if len(have) > 0 {
			o.Message += " (approved by " + strings.Join(have, ", ") + ")"
		}
		if !now.Before(o.Deadline) {
			return Outcome{Status: v1.StepFailed, Reason: "ApprovalTimedOut",
				Message: fmt.Sprintf("timed out after %s with %d of %d approvals of %s", d, len(have), c.Need(), c.Approvers)}
		}
		return o
	case InputConfig:
		d, _ := humanTimeout(c.Timeout)
		for _, in := range inputs {
			if in.Answers != nil {
				return Outcome{Status: v1.StepSucceeded, Message: "answered by " + in.Actor, Outputs: in.Answers}
			}
		}
		o := Outcome{Status: v1.StepRunning, Reason: "WaitingForInput", Deadline: started.Add(d), Message: "waiting for input"}
		if c.Message != "" {
			o.Message += ": " + c.Message
		}
		if !now.Before(o.Deadline) {
			return Outcome{Status: v1.StepFailed, Reason: "InputTimedOut", Message: fmt.Sprintf("timed out after %s without an answer", d)}
		}
		return o
	}
	return Outcome{Status: v1.StepFailed, Reason: "InvalidConfig", Message: fmt.Sprintf("%s is not a human step", uses)}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// RefuseAnswers says why answers do not fill in a get-user-input form with config c that has
// recorded inputs; nil when they do.
func RefuseAnswers(c InputConfig, inputs []v1.StepInput, answers map[string]any) error {
	for _, in := range inputs {
		if in.Answers != nil {
			return fmt.Errorf("answered already by %s", in.Actor)
		}
	}
	if answers == nil {
		return errors.New("no answers: send the form's fields as a JSON object")
	}
	s, err := schema.Compile(c.Schema)
	if err != nil {
		return fmt.Errorf("config.schema: %w", err)
	}
	if err := schema.ValidateInline(s, answers); err != nil {
		return fmt.Errorf("answers do not fit the form: %w", err)
	}
	return nil
}

// Waiting returns the index and record of the human step alias when it is the Promotion's
// current step and has not finished, and false otherwise.
func Waiting(p *v1.Promotion, alias string) (int, *v1.StepExecutionMetadata, bool) {
	if p.Status.Finished() || p.Status.Phase != v1.PhaseRunning {
		return 0, nil, false
	}
	for i := range p.Status.StepExecutionMetadata {
		m := &p.Status.StepExecutionMetadata[i]
		if m.Alias == alias && IsHuman(m.Uses) && m.FinishedAt == nil && i == p.Status.CurrentStep {
			return i, m, true
		}
	}
	return 0, nil, false
}

// AddInput records in, a person's approval or answers, on the waiting human step alias. It
// reports false, changing nothing, when the step is not waiting, the person approved it
// already, or it has its answers already: so recording is idempotent.
func AddInput(p *v1.Promotion, alias string, in v1.StepInput) bool {
	_, m, ok := Waiting(p, alias)
	if !ok {
		return false
	}
	for _, had := range m.Inputs {
		if had.Actor == in.Actor && had.Approved && in.Approved || had.Answers != nil && in.Answers != nil {
			return false
		}
	}
	in.At = in.At.UTC()
	m.Inputs = append(m.Inputs, in)
	return true
}

// DecodeHuman decodes the config of the human step alias of kind uses, checked against its
// schema and its rules (roles are checked at apply, where the project's are known): an
// ApprovalConfig or an InputConfig. The error names the step and the field.
func DecodeHuman(uses, alias string, config map[string]any) (any, error) {
	sc := &steps.Context{Alias: alias, Config: config}
	var cfg any
	var err error
	switch uses {
	case WaitForApproval:
		var c ApprovalConfig
		if c, err = steps.Decode[ApprovalConfig](sc, uses); err == nil {
			err = CheckApproval(c, nil)
		}
		cfg = c
	case GetUserInput:
		var c InputConfig
		if c, err = steps.Decode[InputConfig](sc, uses); err == nil {
			err = CheckInput(c)
		}
		cfg = c
	default:
		err = fmt.Errorf("%s is not a human step", uses)
	}
	if err != nil && !strings.Contains(err.Error(), strconv.Quote(alias)) {
		err = fmt.Errorf("step %q: %w", alias, err)
	}
	return cfg, err
}

// RefuseInput says why who's approval (approve) or answers do not count for the step alias
// of p; nil when they do. The gateway asks it before it sends the input, and the scheduler
// again before it records it.
func RefuseInput(p *v1.Promotion, alias string, who Person, approve bool, answers map[string]any) error {
	_, m, ok := Waiting(p, alias)
	if !ok {
		return ErrNotWaiting
	}
	if who.Actor == "" {
		return errors.New("the input names no actor")
	}
	cfg, err := DecodeHuman(m.Uses, m.Alias, m.Config)
	if err != nil {
		return err
	}
	switch c := cfg.(type) {
	case ApprovalConfig:
		if !approve {
			return errors.New("a wait-for-approval step takes approvals: use dray approve --promotion P --step S")
		}
		return RefuseApproval(c, m.Inputs, p.Metadata.Annotations[v1.AnnotationCreateActor], who)
	case InputConfig:
		if approve {
			return errors.New("a get-user-input step takes answers: use dray answer PROMOTION --step S")
		}
		return RefuseAnswers(c, m.Inputs, answers)
	}
	return nil
}

// ErrNotWaiting refuses an input for a step that does not wait for one.
var ErrNotWaiting = errors.New("the step is not waiting for people: it has finished, has not started, or is not a wait-for-approval or get-user-input step")

// Message is what to show of a Promotion in a list: its message, or, while it waits at a human
// step, what the step waits for ("waiting for 1 more approval of release-managers").
func Message(p *v1.Promotion) string {
	meta := p.Status.StepExecutionMetadata
	if p.Status.Message != "" || p.Status.Phase != v1.PhaseRunning || p.Status.CurrentStep >= len(meta) {
		return p.Status.Message
	}
	if m := meta[p.Status.CurrentStep]; IsHuman(m.Uses) && m.FinishedAt == nil {
		return "step " + m.Alias + ": " + m.Message
	}
	return ""
}

// FormField is a field of a get-user-input form, read from a top-level property of its schema,
// for a form people fill in (the web UI).
type FormField struct {
	Name string
	// Type is the property's JSON type: string, integer, number or boolean.
	Type        string
	Enum        []string
	Required    bool
	Description string
	Default     string
}

// Fields lists the top-level properties of a form's schema, by name.
func (c InputConfig) Fields() []FormField {
	props, _ := c.Schema["properties"].(map[string]any)
	required := map[string]bool{}
	if rs, ok := c.Schema["required"].([]any); ok {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	out := make([]FormField, 0, len(props))
	for name, p := range props {
		pm, _ := p.(map[string]any)
		f := FormField{Name: name, Required: required[name]}
		f.Type, _ = pm["type"].(string)
		f.Description, _ = pm["description"].(string)
		if d, ok := pm["default"]; ok {
			f.Default = fmt.Sprint(d)
		}
		if es, ok := pm["enum"].([]any); ok {
			for _, e := range es {
				f.Enum = append(f.Enum, fmt.Sprint(e))
			}
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FormAnswers turns a form's text fields (as a browser sends them) into answers, each typed as
// its property declares (integer, number, boolean); an empty field is left out. A value that
// does not parse is an error naming the field.
func (c InputConfig) FormAnswers(form map[string]string) (map[string]any, error) {
	types := map[string]string{}
	for _, f := range c.Fields() {
		types[f.Name] = f.Type
	}
	out := map[string]any{}
	var errs []error
	for k, v := range form {
		if v == "" {
			continue
		}
		var err error
		switch types[k] {
		case "integer":
			out[k], err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		case "number":
			out[k], err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		case "boolean":
			out[k], err = strconv.ParseBool(v)
		default:
			out[k] = v
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a%s %s", k, v, map[bool]string{true: "n"}[types[k] == "integer"], types[k]))
		}
	}
	return out, errors.Join(errs...)
}
