package manifest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
)

func TestDecodeMessageChannels(t *testing.T) {
	const doc = `apiVersion: kargo.akuity.io/v1alpha1
kind: MessageChannel
metadata: {name: releases, namespace: kargo-demo}
spec:
  secretRef: {name: slack-releases}
  slack: {}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterMessageChannel
metadata: {name: deploy-hook}
spec:
  secretRef: {name: deploy-hook}
  webhook: {method: PUT}
`
	objs, err := manifest.Decode("channels.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("Decode(channels) = %v, want nil", err)
	}
	want := []summary{
		{"channels.yaml", v1.KindMessageChannel, "releases", "kargo-demo"},
		{"channels.yaml", v1.KindClusterMessageChannel, "deploy-hook", ""},
	}
	if diff := cmp.Diff(want, summarize(objs)); diff != "" {
		t.Errorf("Decode(channels) mismatch (-want +got):\n%s", diff)
	}
	mc := objs[0].Resource.(*v1.MessageChannel)
	if mc.Spec.Slack == nil || mc.Spec.Webhook != nil || mc.Spec.SecretRef.Name != "slack-releases" {
		t.Errorf("MessageChannel spec = %+v, want slack with secretRef slack-releases", mc.Spec)
	}
	cmc := objs[1].Resource.(*v1.ClusterMessageChannel)
	if cmc.Spec.Webhook == nil || cmc.Spec.Webhook.Method != "PUT" {
		t.Errorf("ClusterMessageChannel spec = %+v, want webhook PUT", cmc.Spec)
	}
	if string(objs[0].JSON) != `{"apiVersion":"kargo.akuity.io/v1alpha1","kind":"MessageChannel","metadata":{"name":"releases","namespace":"kargo-demo"},"spec":{"secretRef":{"name":"slack-releases"},"slack":{}}}` {
		t.Errorf("MessageChannel JSON = %s, want slack: {} kept", objs[0].JSON)
	}
}

func TestDecodeMessageChannelErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []v1.FieldError
	}{
		{
			name: "neither slack nor webhook",
			doc:  head + "kind: MessageChannel\nmetadata: {name: c, namespace: demo}\nspec: {secretRef: {name: s}}\n",
			want: []v1.FieldError{{Resource: "MessageChannel/c", Path: "spec", Msg: "must set exactly one of slack, webhook or smtp"}},
		},
		{
			name: "both",
			doc:  head + "kind: ClusterMessageChannel\nmetadata: {name: c}\nspec: {secretRef: {name: s}, slack: {}, webhook: {}}\n",
			want: []v1.FieldError{{Resource: "ClusterMessageChannel/c", Path: "spec", Msg: "must set exactly one of slack, webhook or smtp, not 2"}},
		},
		{
			name: "empty secret name and bad method",
			doc:  head + "kind: MessageChannel\nmetadata: {name: c, namespace: demo}\nspec: {secretRef: {name: ''}, webhook: {method: GET}}\n",
			want: []v1.FieldError{
				{Resource: "MessageChannel/c", Path: "spec.secretRef.name", Msg: "must name the Secret that holds the channel's URL"},
				{Resource: "MessageChannel/c", Path: "spec.webhook.method", Msg: `got "GET", want POST, PUT or PATCH`},
			},
		},
		{
			name: "no namespace",
			doc:  head + "kind: MessageChannel\nmetadata: {name: c}\nspec: {secretRef: {name: s}, slack: {}}\n",
			want: []v1.FieldError{{Resource: "MessageChannel/c", Path: "metadata.namespace", Msg: "is required: name the project (a Kargo namespace) this resource belongs to"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Decode("c.yaml", []byte(tt.doc))
			got := fieldErrors(t, err)
			for i := range got {
				got[i].File = ""
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// A missing secretRef is the schema's to report.
	_, err := manifest.Decode("c.yaml", []byte(head+"kind: MessageChannel\nmetadata: {name: c, namespace: demo}\nspec: {slack: {}}\n"))
	if got := fieldErrors(t, err); len(got) != 1 || got[0].Path != "spec" && got[0].Path != "spec.secretRef" {
		t.Errorf("Decode(no secretRef) = %v, want one error about spec.secretRef", got)
	}
}

func TestValidateMessageChannel(t *testing.T) {
	mc := &v1.ClusterMessageChannel{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindClusterMessageChannel},
		Metadata: v1.ObjectMeta{Name: "hook"},
		Spec:     v1.MessageChannelSpec{SecretRef: v1.LocalObjectReference{Name: "hook"}, Webhook: &v1.WebhookChannel{}},
	}
	if err := manifest.Validate(mc); err != nil {
		t.Errorf("Validate(cluster channel) = %v, want nil", err)
	}
	mc.Spec.Slack = &v1.SlackChannel{}
	if err := manifest.Validate(mc); err == nil {
		t.Errorf("Validate(slack and webhook) = nil, want an error")
	}
}
