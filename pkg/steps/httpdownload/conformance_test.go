package httpdownload_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/httpdownload"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	srv := newServer(t)
	steptest.Conformance(t, httpdownload.New(trusted(srv)), steptest.Case{
		Config: map[string]any{"url": srv.URL + "/file", "outPath": "charts/app.tgz"},
	})
}
