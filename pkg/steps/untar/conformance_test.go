package untar_test

import (
	"archive/tar"
	"bytes"
	"testing"

	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/untar"
)

func TestConformance(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range map[string]string{"chart/Chart.yaml": "name: web\n", "chart/values.yaml": "tag: v1\n"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	steptest.Conformance(t, untar.New(), steptest.Case{
		Config: map[string]any{"inPath": "in.tar", "outPath": "out", "stripComponents": 1},
		Files:  map[string][]byte{"in.tar": buf.Bytes()},
	})
}
