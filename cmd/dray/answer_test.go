package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadAnswers: dray answer takes a JSON object from a file or stdin, and --set pairs over
// it, each value read as JSON when it is JSON and as a string otherwise.
func TestReadAnswers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "answers.json")
	if err := os.WriteFile(file, []byte(`{"ticket": "CHG-1", "replicas": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readAnswers(nil, file, []string{"replicas=3", "canary=true", "note=ship it", "ids=[1,2]"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticket": "CHG-1", "replicas": float64(3), "canary": true, "note": "ship it", "ids": []any{float64(1), float64(2)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readAnswers() (-want +got):\n%s", diff)
	}
	if got, err := readAnswers(strings.NewReader(`{"a": "b"}`), "-", nil); err != nil || got["a"] != "b" {
		t.Errorf("readAnswers(stdin) = %v, %v; want a=b", got, err)
	}
	for _, tt := range []struct {
		stdin, file string
		sets        []string
		want        string
	}{
		{"[1]", "-", nil, "want a JSON object"},
		{"", "", []string{"novalue"}, `--set "novalue": want key=value`},
		{"", "", nil, "no answers"},
	} {
		if _, err := readAnswers(strings.NewReader(tt.stdin), tt.file, tt.sets); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("readAnswers(%q, %q, %q) = %v, want %q", tt.stdin, tt.file, tt.sets, err, tt.want)
		}
	}
}
