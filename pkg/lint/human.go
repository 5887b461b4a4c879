package lint

import (
	"encoding/json"
	"strings"

	"github.com/drayhq/dray/pkg/access"
	"github.com/drayhq/dray/pkg/promotion"
)

// WithRoles makes Check refuse a wait-for-approval step whose approver roles a project does
// not have: has reports whether project has role (a built-in role, or a ServiceAccount or
// Role it declares); the roles the input declares count too. Default: roles are not checked
// (dray lint, offline, does not know the project's roles).
func WithRoles(has func(project, role string) bool) Option {
	return func(l *linter) { l.roles = has }
}

// human checks what the schema of a human step cannot: an approver rule that matches nobody,
// N greater than M, a form that is not a valid JSON schema of an object
// (docs/steps/wait-for-approval.md, docs/steps/get-user-input.md). config has passed its schema
// and holds no expression.
func (l *linter) human(a at, uses string, config map[string]any) {
	b, err := json.Marshal(config)
	if err != nil {
		return
	}
	switch uses {
	case promotion.WaitForApproval:
		var c promotion.ApprovalConfig
		if json.Unmarshal(b, &c) != nil {
			return
		}
		var exists func(string) bool
		if l.roles != nil && a.project != "" {
			exists = func(role string) bool {
				return access.IsBuiltin(role) || l.declared[a.project+"/"+role] || l.roles(a.project, role)
			}
		}
		l.problems(a, promotion.CheckApproval(c, exists))
	case promotion.GetUserInput:
		var c promotion.InputConfig
		if json.Unmarshal(b, &c) != nil {
			return
		}
		l.problems(a, promotion.CheckInput(c))
	}
}

// problems reports each line of err, "config.<field>: <msg>", at its field.
func (l *linter) problems(a at, err error) {
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		path, msg, ok := strings.Cut(line, ": ")
		if !ok || !strings.HasPrefix(path, "config") {
			l.errorf(a.field(".config"), "%s", line)
			continue
		}
		l.errorf(a.field("."+path), "%s", msg)
	}
}
