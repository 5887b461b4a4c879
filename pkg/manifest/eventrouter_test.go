package manifest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
)

// TestDecodeKargoEventRouter: Kargo's EventRouter manifests decode unchanged, every field
// kept.
func TestDecodeKargoEventRouter(t *testing.T) {
	const doc = `kind: EventRouter
apiVersion: ee.kargo.akuity.io/v1alpha1
metadata:
  name: promotion-started
  namespace: kargo-demo
spec:
  groupingKey: "${{ event.stageName }}-${{ event.freightName }}"
  types:
    - PromotionCreated
  when: "event.stageName == 'production'"
  channels:
    - name: slack
      kind: MessageChannel
      output: "Kargo has kicked off promotion to stage: ${{ event.stageName }}."
    - name: smtp
      kind: ClusterMessageChannel
      encodingType: yaml
      output: |
        subject: Deployment Promotion Started
        body: ${{ event.stageName }}
`
	objs, err := manifest.Decode("router.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Decode = %v, want nil", err)
	}
	r, ok := objs[0].Resource.(*v1.EventRouter)
	if !ok || objs[0].Project != "kargo-demo" {
		t.Fatalf("decoded %T in %q, want an EventRouter in kargo-demo", objs[0].Resource, objs[0].Project)
	}
	want := v1.EventRouterSpec{
		GroupingKey: "${{ event.stageName }}-${{ event.freightName }}",
		Types:       []string{"PromotionCreated"},
		When:        "event.stageName == 'production'",
		Channels: []v1.EventRouterChannel{
			{Name: "slack", Kind: v1.KindMessageChannel, Output: "Kargo has kicked off promotion to stage: ${{ event.stageName }}."},
			{Name: "smtp", Kind: v1.KindClusterMessageChannel, EncodingType: "yaml", Output: "subject: Deployment Promotion Started\nbody: ${{ event.stageName }}\n"},
		},
	}
	if d := cmp.Diff(want, r.Spec); d != "" {
		t.Errorf("spec (-want +got):\n%s", d)
	}
}

func TestDecodeEventRouterErrors(t *testing.T) {
	const doc = `apiVersion: ee.kargo.akuity.io/v1alpha1
kind: EventRouter
metadata: {name: r, namespace: demo}
spec:
  types: [PromotionFailed, PromotionExploded]
  when: "event.stage =="
  channels: [{kind: Webhook, name: hook}]
`
	_, err := manifest.Decode("r.yaml", []byte(doc))
	got := map[string]bool{}
	for _, fe := range fieldErrors(t, err) {
		if fe.Resource != "EventRouter/r" {
			t.Errorf("problem of %q, want EventRouter/r: %+v", fe.Resource, fe)
		}
		got[fe.Path] = true
	}
	for _, p := range []string{"spec.types[1]", "spec.when", "spec.channels[0].kind"} {
		if !got[p] {
			t.Errorf("no problem at %s; got %v", p, got)
		}
	}
	// Another apiVersion than Kargo's is refused, naming both it accepts.
	_, err = manifest.Decode("r.yaml", []byte(`apiVersion: argoproj.io/v1alpha1
kind: EventRouter
metadata: {name: r, namespace: demo}
spec: {types: [PromotionFailed], channels: [{kind: MessageChannel, name: c}]}
`))
	if fes := fieldErrors(t, err); len(fes) != 1 || fes[0].Path != "apiVersion" {
		t.Errorf("foreign apiVersion: %+v, want one problem at apiVersion", fes)
	}
}
