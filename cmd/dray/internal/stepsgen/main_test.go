package main

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGeneratedIsCurrent: pkg/steps/executors_gen.go says what the steps' Info says; run
// go generate ./pkg/steps after adding a step or moving one to another executor.
func TestGeneratedIsCurrent(t *testing.T) {
	want, err := render()
	if err != nil {
		t.Fatalf("render() = %v", err)
	}
	got, err := os.ReadFile("../../../../pkg/steps/executors_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("pkg/steps/executors_gen.go is stale; run go generate ./pkg/steps (-want +got):\n%s", diff)
	}
}
