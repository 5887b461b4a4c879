package executorhttp_test

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	executorhttp "github.com/drayhq/dray/services/executor-http"
)

func TestSteps(t *testing.T) {
	reg, err := executorhttp.Steps()
	if err != nil {
		t.Fatalf("Steps() = %v", err)
	}
	if diff := cmp.Diff([]string{"http", "http-download", "oci-download", "oci-push", "send-message"}, reg.Names()); diff != "" {
		t.Errorf("Steps().Names() mismatch (-want +got):\n%s", diff)
	}
}

func TestFlags(t *testing.T) {
	var o executorhttp.Options
	fs := flag.NewFlagSet("executor-http", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.BindFlags(fs)
	err := fs.Parse([]string{
		"--http-max-response-size=1024", "--http-max-redirects=-1",
		"--http-allowed-hosts=kargo-demo=api.example.com, *.example.org",
		"--http-allowed-hosts=*=", "--http-allowed-hosts=kargo-demo=hooks.slack.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	want := map[string][]string{"kargo-demo": {"api.example.com", "*.example.org", "hooks.slack.com"}, "*": {}}
	if diff := cmp.Diff(want, o.AllowedHosts); diff != "" {
		t.Errorf("AllowedHosts mismatch (-want +got):\n%s", diff)
	}
	if o.MaxResponseSize != 1024 || o.MaxRedirects != -1 || o.MaxDownloadSize != 100<<20 {
		t.Errorf("sizes = %d, %d, %d, want 1024, -1, %d", o.MaxResponseSize, o.MaxRedirects, o.MaxDownloadSize, 100<<20)
	}
	if _, err := executorhttp.StepsWith(o); err != nil {
		t.Errorf("StepsWith() = %v", err)
	}

	o.CAFile = "/nonexistent/ca.pem"
	if err := o.Validate(); err == nil {
		t.Errorf("Validate() with a missing CA file = nil, want an error")
	}
}
