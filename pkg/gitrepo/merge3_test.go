package gitrepo

import "testing"

func TestMerge3(t *testing.T) {
	const base = "a\nb\nc\nd\ne\n"
	tests := []struct {
		name         string
		ours, theirs string
		want         string
		ok           bool
	}{
		{"apart", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n", true},
		{"same line", "a\nB\nc\nd\ne\n", "a\nX\nc\nd\ne\n", "", false},
		{"same change", "a\nB\nc\nd\ne\n", "a\nB\nc\nd\ne\n", "a\nB\nc\nd\ne\n", true},
		{"adjacent lines", "a\nB\nc\nd\ne\n", "a\nb\nC\nd\ne\n", "", false},
		{"one line between", "a\nB\nc\nd\ne\n", "a\nb\nc\nD\ne\n", "a\nB\nc\nD\ne\n", true},
		{"insert and delete apart", "a\nb\nnew\nc\nd\ne\n", "a\nb\nc\nd\n", "a\nb\nnew\nc\nd\n", true},
		{"append both", base + "x\n", base + "y\n", "", false},
		{"no final newline", "A\nb\nc\nd\ne", "a\nb\nc\nd\ne\nf\n", "", false},
		{"no final newline apart", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\ne", "A\nb\nc\nd\ne", true},
		{"binary", "A\x00\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := merge3([]byte(base), []byte(tt.ours), []byte(tt.theirs))
			if ok != tt.ok || string(got) != tt.want {
				t.Errorf("merge3() = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
