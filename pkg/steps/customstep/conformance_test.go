package customstep_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	f := newFixture(t)
	step := f.define("render", v1.CustomPromotionStepSpec{
		Command: sh(`cat in.txt > out.txt && echo "size=$(wc -c < in.txt)" > $KARGO_OUTPUT`),
	})
	steptest.Conformance(t, step, steptest.Case{
		Files: map[string][]byte{"in.txt": []byte("hello\n")},
	})
}
