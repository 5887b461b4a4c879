package executorcontainer_test

import (
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/bustest"
	"github.com/drayhq/dray/pkg/container/containertest"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/customstep"
	"github.com/drayhq/dray/pkg/steps/steptest"
	executorcontainer "github.com/drayhq/dray/services/executor-container"
)

// TestCustomStepFromResources stores CustomPromotionSteps as dray apply does, and runs them
// through the executor's registry: a project's own definition wins over the cluster-wide one,
// and a name with neither is an unknown step kind.
func TestCustomStepFromResources(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	reg := containertest.NewRegistry(t)
	image := reg.Push(t, "tools/busybox", "1", containertest.BusyboxImage(t))
	put := func(project, name, say string) {
		t.Helper()
		s := v1.CustomPromotionStep{
			TypeMeta: v1.TypeMeta{APIVersion: "ee.kargo.akuity.io/v1alpha1", Kind: v1.KindCustomPromotionStep},
			Metadata: v1.ObjectMeta{Name: name},
			Spec:     v1.CustomPromotionStepSpec{Image: image, Command: []string{"sh", "-c", "echo said=" + say + " > $KARGO_OUTPUT"}},
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Resources.Put(t.Context(), bus.ResourceKey(project, v1.KindCustomPromotionStep, name), data); err != nil {
			t.Fatal(err)
		}
	}
	put("", "greet", "cluster")
	put("kargo-demo", "greet", "project")
	put("", "only-cluster", "cluster")

	dir := t.TempDir()
	d := service.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: b}
	execSteps, err := executorcontainer.StepsWith(t.Context(), executorcontainer.Options{
		ImageCache: filepath.Join(dir, "images"), RuncRoot: filepath.Join(dir, "runc"),
	}, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ uses, want string }{{"greet", "project"}, {"only-cluster", "cluster"}} {
		step, err := execSteps.Lookup(tt.uses)
		if err != nil {
			t.Fatalf("Lookup(%q) = %v", tt.uses, err)
		}
		res, err := steptest.Run(t, step, steptest.NewContext(t, nil, nil))
		if err != nil || res.Outputs["said"] != tt.want {
			t.Errorf("run %s = %v, %v; want said=%s", tt.uses, res.Outputs, err, tt.want)
		}
	}
	step, err := execSteps.Lookup("nope")
	if err != nil {
		t.Fatalf("Lookup(nope) = %v; the fallback takes every name", err)
	}
	res, err := steptest.Run(t, step, steptest.NewContext(t, nil, nil))
	if o := steps.Classify(res, err); o.Reason != "UnknownStep" || !o.Terminal {
		t.Errorf("run nope = %+v, want a terminal UnknownStep", o)
	}
}

// TestHostNetworkFlag: a CustomPromotionStep that asks for the host's network runs only in
// the projects --container-host-network names.
func TestHostNetworkFlag(t *testing.T) {
	b := bustest.Start(t).Connect(t)
	reg := containertest.NewRegistry(t)
	image := reg.Push(t, "tools/busybox", "1", containertest.BusyboxImage(t))
	s := v1.CustomPromotionStep{
		TypeMeta: v1.TypeMeta{APIVersion: "ee.kargo.akuity.io/v1alpha1", Kind: v1.KindCustomPromotionStep},
		Metadata: v1.ObjectMeta{Name: "online"},
		Spec: v1.CustomPromotionStepSpec{Image: image, Command: []string{"sh", "-c", "echo ok=yes > $KARGO_OUTPUT"},
			Capabilities: []string{customstep.CapabilityNetwork}},
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resources.Put(t.Context(), bus.ResourceKey("", v1.KindCustomPromotionStep, "online"), data); err != nil {
		t.Fatal(err)
	}
	d := service.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: b}
	for _, tt := range []struct {
		args []string
		want string // the reason, "" for success
	}{
		{nil, customstep.ReasonNetworkNotGranted},
		{[]string{"--container-host-network", "other"}, customstep.ReasonNetworkNotGranted},
		{[]string{"--container-host-network", "other,kargo-demo"}, ""},
		{[]string{"--container-host-network", "*"}, ""},
	} {
		var o executorcontainer.Options
		fs := flag.NewFlagSet("executor-container", flag.ContinueOnError)
		o.BindFlags(fs)
		dir := t.TempDir()
		if err := fs.Parse(append([]string{"--image-cache", filepath.Join(dir, "images"), "--runc-root", filepath.Join(dir, "runc")}, tt.args...)); err != nil {
			t.Fatal(err)
		}
		execSteps, err := executorcontainer.StepsWith(t.Context(), o, d)
		if err != nil {
			t.Fatal(err)
		}
		step, err := execSteps.Lookup("online")
		if err != nil {
			t.Fatal(err)
		}
		res, err := steptest.Run(t, step, steptest.NewContext(t, nil, nil))
		if o := steps.Classify(res, err); o.Reason != tt.want || (tt.want != "") != o.Terminal {
			t.Errorf("with %v: %+v, want reason %q", tt.args, o, tt.want)
		}
	}
}
