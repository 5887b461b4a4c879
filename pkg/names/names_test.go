package names_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/names"
)

func TestRules(t *testing.T) {
	cases := []struct {
		name            string
		project, object bool
	}{
		{"dev", true, true},
		{"a", true, true},
		{"prod-eu-1", true, true},
		{"prod.eu", false, true},
		{"dev.01kaqz7m3c4f8r2n5t6v7w8x9y", false, true},
		{strings.Repeat("a", 63), true, true},
		{strings.Repeat("a", 64), false, true},
		{strings.Repeat("a.", 126) + "a", false, true},
		{strings.Repeat("a.", 127) + "a", false, false}, // 255
		{"", false, false},
		{"Dev", false, false},
		{"-dev", false, false},
		{"dev-", false, false},
		{"dev.", false, false},
		{".dev", false, false},
		{"a..b", false, false},
		{"*", false, false},
		{">", false, false},
		{"a b", false, false},
		{"a\x00b", false, false},
		{"$JS", false, false},
		{"a_b", false, false},
		{"a/b", false, false},
		{"ü", false, false},
		{strings.Repeat("x", 5000), false, false},
	}
	for _, c := range cases {
		if err := names.Project(c.name); (err == nil) != c.project {
			t.Errorf("Project(%.20q) = %v, want ok=%v", c.name, err, c.project)
		}
		err := names.Object(c.name)
		if (err == nil) != c.object {
			t.Errorf("Object(%.20q) = %v, want ok=%v", c.name, err, c.object)
		}
		if err != nil && !errors.Is(err, names.ErrInvalid) {
			t.Errorf("Object(%.20q) error %v does not wrap ErrInvalid", c.name, err)
		}
	}
}

func TestErrorsStayShort(t *testing.T) {
	err := names.Field("stage", strings.Repeat("X", 5000), names.Object)
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error for a 5,000-byte name is %d bytes: %v", len(err.Error()), err)
	}
	if !strings.HasPrefix(err.Error(), "stage: ") || !strings.Contains(err.Error(), "5000 bytes") {
		t.Errorf("error does not name the field and size: %v", err)
	}
}
