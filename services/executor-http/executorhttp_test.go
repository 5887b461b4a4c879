package executorhttp_test

import (
	"errors"
	"flag"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/httpstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
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

// TestLoopbackServicesRefused: the http step of the executor, with its default options,
// cannot reach NATS on this host's loopback (nor the gateway, nor any other service there);
// the error names the host and the option that would allow it. Naming the address in the
// project's --http-allowed-hosts lets the request through.
func TestLoopbackServicesRefused(t *testing.T) {
	ns := bustest.Start(t)
	u, err := url.Parse(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	natsURL := "http://" + u.Host + "/"
	run := func(o executorhttp.Options) error {
		reg, err := executorhttp.StepsWith(o)
		if err != nil {
			t.Fatal(err)
		}
		step, err := reg.Lookup(httpstep.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = steptest.Run(t, step, steptest.NewContext(t, map[string]any{"url": natsURL, "timeout": "2s"}, nil))
		return err
	}
	for _, o := range []executorhttp.Options{
		{},
		{AllowedHosts: map[string][]string{"*": {"*"}}},
		{AllowedHosts: map[string][]string{"kargo-demo": {"*", "127.0.0.1:1"}}},
	} {
		err := run(o)
		if !steps.IsTerminal(err) || !errors.Is(err, httpstep.ErrPrivateAddress) {
			t.Errorf("http step to NATS at %s with allowlist %v = %v, want a terminal %v", u.Host, o.AllowedHosts, err, httpstep.ErrPrivateAddress)
			continue
		}
		for _, part := range []string{u.Hostname(), "loopback", "--http-allowed-hosts", `"` + u.Host + `"`} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("error %q does not contain %q", err, part)
			}
		}
	}
	// Allowed, the request reaches NATS, which does not speak HTTP: the step fails otherwise.
	err = run(executorhttp.Options{AllowedHosts: map[string][]string{"kargo-demo": {u.Host}}})
	if errors.Is(err, httpstep.ErrPrivateAddress) || err == nil {
		t.Errorf("http step to NATS with its address allowed = %v, want a failure other than the refusal", err)
	}
}
