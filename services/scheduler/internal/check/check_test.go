package check_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/services/scheduler/internal/check"
)

func TestSubjectProject(t *testing.T) {
	for _, tc := range []struct {
		subject, want string
		ok            bool
	}{
		{"dray.cmd.shop.promote", "shop", true},
		{"dray.events.shop.promotion.started", "shop", true},
		{"dray.cmd.Shop!.promote", "Shop!", false},
		{"dray.cmd", "", false},
	} {
		got, err := check.SubjectProject(tc.subject)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("SubjectProject(%q) = %q, %v; want %q, ok %v", tc.subject, got, err, tc.want, tc.ok)
		}
	}
}

func TestSameProject(t *testing.T) {
	for _, tc := range []struct {
		body, subject string
		optional, ok  bool
	}{
		{"shop", "shop", false, true},
		{"", "shop", true, true},
		{"", "shop", false, false},
		{"bank", "shop", true, false},
	} {
		if err := check.SameProject(tc.body, tc.subject, tc.optional); (err == nil) != tc.ok {
			t.Errorf("SameProject(%q, %q, %v) = %v; want ok %v", tc.body, tc.subject, tc.optional, err, tc.ok)
		}
	}
}

func TestID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want string // in the error; empty: no error
	}{
		{"", ""},
		{"ci-run/42", ""},
		{strings.Repeat("x", check.MaxID), ""},
		{strings.Repeat("x", check.MaxID+1), "longer than 253 bytes"},
		{"a b", "printable ASCII without spaces"},
		{"é", "printable ASCII without spaces"},
	} {
		err := check.ID("id", tc.id)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "id: ")) {
			t.Errorf("ID(%.20q) = %v; want an error saying %q", tc.id, err, tc.want)
		}
	}
}

// TestShort: a hostile value is quoted and cut, saying how long it was.
func TestShort(t *testing.T) {
	if got := check.Short("dev"); got != `"dev"` {
		t.Errorf("Short(dev) = %s", got)
	}
	if got := check.Short(strings.Repeat("a", 5000)); len(got) > 100 || !strings.Contains(got, "(5000 bytes)") {
		t.Errorf("Short of 5000 bytes = %s; want it cut, saying 5000 bytes", got)
	}
}

// TestInvalid: no error poisons nothing; errors are joined and poisoned as invalid.
func TestInvalid(t *testing.T) {
	if err := check.Invalid(nil, nil); err != nil {
		t.Errorf("Invalid(nil, nil) = %v", err)
	}
	err := check.Invalid(nil, errors.New("stage: bad"), errors.New("freight: bad"))
	var poison *bus.PoisonError
	if !errors.As(err, &poison) || poison.Reason != bus.ReasonInvalid || !strings.Contains(err.Error(), "stage: bad") || !strings.Contains(err.Error(), "freight: bad") {
		t.Errorf("Invalid = %v; want both errors, poisoned invalid", err)
	}
}
