// Package check holds the state service's checks of the records it is sent
// (pkg/bus/README.md): each runs before a key or subject is built from a record, and a record
// that fails one can never be recorded, so the service poisons it.
package check

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/names"
)

// SubjectProject is the project token of dray.results.<project>.<kind>, checked.
func SubjectProject(subject string) (string, error) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 {
		return "", fmt.Errorf("subject %.80q is not dray.results.<project>.<kind>", subject)
	}
	return parts[2], names.Field("subject project", parts[2], names.Project)
}

// sameProject checks the project a record's body names against its subject's: NATS
// permissions fence a tenant by subject, so the body must not name another.
func sameProject(body, subject string) error {
	if body != subject {
		return fmt.Errorf("project: the record names project %s but was sent on project %s's subject", Short(body), subject)
	}
	return nil
}

// StepResult checks a step result sent on project's subject.
func StepResult(r *v1.StepResult, project string) error {
	errs := []error{sameProject(r.Project, project), names.Field("promotion", r.Promotion, names.Object)}
	if r.Step < 0 || r.Attempt < 1 {
		errs = append(errs, fmt.Errorf("step %d, attempt %d: want a step of 0 or more and an attempt of 1 or more", r.Step, r.Attempt))
	}
	for i, u := range r.Metadata {
		if u.Kind != v1.KindStage && u.Kind != v1.KindFreight {
			errs = append(errs, fmt.Errorf("metadata[%d].kind: %s is not Stage or Freight", i, Short(u.Kind)))
		}
		errs = append(errs, names.Field(fmt.Sprintf("metadata[%d].name", i), u.Name, names.Object))
	}
	return errors.Join(errs...)
}

// PromotionRecord checks a Promotion record sent on project's subject.
func PromotionRecord(r *v1.PromotionRecord, project string) error {
	errs := []error{sameProject(r.Project, project), names.Field("name", r.Name, names.Object)}
	switch r.Op {
	case v1.RecordCreate:
		p := r.Promotion
		if p == nil {
			return errors.Join(append(errs, errors.New("promotion: a create record holds the Promotion"))...)
		}
		errs = append(errs, names.Field("promotion.spec.stage", p.Spec.Stage, names.Object),
			names.Field("promotion.spec.freight", p.Spec.Freight, names.Object))
		if p.Metadata.Name != r.Name || p.Metadata.Namespace != project {
			errs = append(errs, fmt.Errorf("promotion.metadata: %s in %s is not the record's %s in %s",
				Short(p.Metadata.Name), Short(p.Metadata.Namespace), Short(r.Name), project))
		}
	case v1.RecordFinish:
		switch r.Phase {
		case v1.PhaseSucceeded, v1.PhaseFailed, v1.PhaseErrored, v1.PhaseAborted:
		default:
			errs = append(errs, fmt.Errorf("phase: %s is not a final phase", Short(r.Phase)))
		}
	case v1.RecordAbort, v1.RecordSupersede:
	case v1.RecordInput:
		if r.Step == "" || r.Input == nil || r.Input.Actor == "" {
			errs = append(errs, errors.New("input: an input record names the step and holds the input with its actor"))
		}
	default:
		errs = append(errs, fmt.Errorf("op: %s is not create, finish, abort, supersede or input", Short(r.Op)))
	}
	return errors.Join(errs...)
}

// StageRecord checks a Stage record sent on project's subject; its op is the caller's.
func StageRecord(r *v1.StageRecord, project string) error {
	return errors.Join(sameProject(r.Project, project), names.Field("stage", r.Stage, names.Object))
}

// FreightRecord checks a Freight record sent on project's subject.
func FreightRecord(r *v1.FreightRecord, project string) error {
	errs := []error{sameProject(r.Project, project), names.Field("freight", r.Freight, names.Object)}
	switch r.Op {
	case v1.FreightApprove:
		errs = append(errs, names.Field("stage", r.Stage, names.Object))
	case v1.FreightReject, v1.FreightUnreject:
		if r.Stage != "" { // empty: every Stage
			errs = append(errs, names.Field("stage", r.Stage, names.Object))
		}
	default:
		errs = append(errs, fmt.Errorf("op: %s is not %s, %s or %s", Short(r.Op), v1.FreightApprove, v1.FreightReject, v1.FreightUnreject))
	}
	return errors.Join(errs...)
}

// Short quotes s for an error, cut short: an error must not echo a hostile 5,000 bytes.
func Short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
	}
	return fmt.Sprintf("%q", s)
}
