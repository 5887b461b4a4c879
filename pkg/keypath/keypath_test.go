package keypath_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/keypath"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []keypath.Part
	}{
		{"single", "tag", []keypath.Part{{Key: "tag"}}},
		{"nested", "image.tag", []keypath.Part{{Key: "image"}, {Key: "tag"}}},
		{"index", "containers.0.image", []keypath.Part{{Key: "containers"}, {Key: "0"}, {Key: "image"}}},
		{"escaped dot", `example\.com/version`, []keypath.Part{{Key: "example.com/version"}}},
		{"escaped colon", `a.b\:c`, []keypath.Part{{Key: "a"}, {Key: "b:c"}}},
		{"escaped colon first", `\:0`, []keypath.Part{{Key: ":0"}}},
		{"forced key", "a.:0", []keypath.Part{{Key: "a"}, {Key: "0", ObjectKey: true}}},
		{"forced key first", ":1.b", []keypath.Part{{Key: "1", ObjectKey: true}, {Key: "b"}}},
		{"trimmed", "  a.b \t", []keypath.Part{{Key: "a"}, {Key: "b"}}},
		{"inner spaces kept", "a. b", []keypath.Part{{Key: "a"}, {Key: " b"}}},
		{"unicode", "größe.wert", []keypath.Part{{Key: "größe"}, {Key: "wert"}}},
		{"slashes and dashes", "app.kubernetes-io/name", []keypath.Part{{Key: "app"}, {Key: "kubernetes-io/name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keypath.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"blank", "   "},
		{"double dot", "a..b"},
		{"leading dot", ".a"},
		{"trailing dot", "a."},
		{"unknown escape", `a\nb`},
		{"escaped backslash", `a\\b`},
		{"trailing backslash", `a\`},
		{"colon inside", "a:b"},
		{"colon after forced colon", "::a"},
		{"colon only", "a.:"},
		{"colon then dot", ":.a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keypath.Parse(tt.in)
			if !errors.Is(err, keypath.ErrSyntax) {
				t.Errorf("Parse(%q) = %v, %v, want an error wrapping ErrSyntax", tt.in, got, err)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	tests := []struct {
		part   keypath.Part
		want   int
		wantOK bool
	}{
		{keypath.Part{Key: "0"}, 0, true},
		{keypath.Part{Key: "12"}, 12, true},
		{keypath.Part{Key: "007"}, 7, true},
		{keypath.Part{Key: "0", ObjectKey: true}, 0, false},
		{keypath.Part{Key: "-1"}, 0, false},
		{keypath.Part{Key: "+1"}, 0, false},
		{keypath.Part{Key: "1a"}, 0, false},
		{keypath.Part{Key: "99999999999999999999999"}, 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.part.Index()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%+v.Index() = %d, %t, want %d, %t", tt.part, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestString(t *testing.T) {
	parts := []keypath.Part{{Key: "a.b"}, {Key: "c:d"}, {Key: "0", ObjectKey: true}, {Key: "1"}}
	const want = `a\.b.c\:d.:0.1`
	if got := keypath.String(parts); got != want {
		t.Errorf("String(%v) = %q, want %q", parts, got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a.b", `a\.b`, "a.:0", `\:x.y`, "a..b", `a\x`, " a. b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := keypath.Parse(s)
		if err != nil {
			return
		}
		again, err := keypath.Parse(keypath.String(parts))
		if err != nil {
			t.Fatalf("Parse(String(Parse(%q))) = %v, want no error", s, err)
		}
		if diff := cmp.Diff(parts, again); diff != "" {
			t.Errorf("Parse(String(Parse(%q))) mismatch (-want +got):\n%s", s, diff)
		}
	})
}
