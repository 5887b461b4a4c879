package manifest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/manifest"
)

// kargoRoles is what a Kargo user already has: a ServiceAccount with claim annotations, a
// Kubernetes Role and RoleBinding with Kargo's resource and verb names, and Kargo's own Role.
const kargoRoles = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: release-managers
  namespace: shop
  annotations:
    rbac.kargo.akuity.io/claim.groups: release-managers
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: prod-promoter, namespace: shop}
rules:
- apiGroups: [kargo.akuity.io]
  resources: [stages]
  resourceNames: [prod]
  verbs: [promote]
- apiGroups: [kargo.akuity.io]
  resources: [freights, promotions]
  verbs: [approve, update, create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: release-managers, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: prod-promoter}
subjects:
- {kind: ServiceAccount, name: release-managers, namespace: shop}
---
apiVersion: rbac.kargo.akuity.io/v1alpha1
kind: Role
metadata: {name: auditor, namespace: shop}
emails: [auditor@example.com]
rules:
- {resources: [promotions], verbs: [get, list]}
`

func TestDecodeRBAC(t *testing.T) {
	objs, err := manifest.Decode("rbac.yaml", []byte(kargoRoles))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind+"/"+o.Project+"/"+o.Name)
	}
	want := []string{"ServiceAccount/shop/release-managers", "Role/shop/prod-promoter", "RoleBinding/shop/release-managers", "Role/shop/auditor"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode objects (-want +got):\n%s", diff)
	}
	if r := objs[3].Resource.(*v1.Role); r.APIVersion != v1.KargoRBACVersion || r.Emails[0] != "auditor@example.com" {
		t.Errorf("Kargo Role = %+v", r)
	}
}

func TestDecodeRBACErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []v1.FieldError
	}{
		{
			name: "unknown verb and resource",
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules:\n- {resources: [stagez], verbs: [promot]}\n",
			want: []v1.FieldError{
				{Resource: "Role/r", Path: "rules[0].resources[0]", Msg: `unknown resource "stagez"; want one of projects, projectconfigs, warehouses, stages, freights, promotions, promotiontasks, secrets, configmaps, messagechannels, eventrouters, serviceaccounts, roles, rolebindings, tokens, events, auditrecords, clusterpromotiontasks, clustermessagechannels, or *`},
				{Resource: "Role/r", Path: "rules[0].verbs[0]", Msg: `unknown verb "promot"; want one of get, list, watch, create, update, patch, delete, promote, approve, or *`},
			},
		},
		{
			name: "subjects on a Kubernetes Role",
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\ngroups: [sre]\nrules: [{resources: [stages], verbs: [get]}]\n",
			want: []v1.FieldError{{Resource: "Role/r", Path: "apiVersion", Msg: "subs, emails and groups belong to Kargo's Role: write apiVersion rbac.kargo.akuity.io/v1alpha1, or bind the role with a RoleBinding"}},
		},
		{
			name: "wrong apiVersion",
			doc:  "apiVersion: kargo.akuity.io/v1alpha1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: a}]\n",
			want: []v1.FieldError{{Resource: "RoleBinding/b", Path: "apiVersion", Msg: `got "kargo.akuity.io/v1alpha1", want rbac.authorization.k8s.io/v1`}},
		},
		{
			name: "binding of an unknown ClusterRole, another project's account",
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: a, namespace: other}]\n",
			want: []v1.FieldError{
				{Resource: "RoleBinding/b", Path: "roleRef.name", Msg: `ClusterRole "cluster-admin" is not a built-in role; want viewer, developer or admin, or bind a Role of the project`},
				{Resource: "RoleBinding/b", Path: "subjects[0].namespace", Msg: `"other": a RoleBinding binds ServiceAccounts of its own project "shop"`},
			},
		},
		{
			name: "claim annotation without a claim",
			doc:  "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  namespace: shop\n  annotations: {rbac.kargo.akuity.io/claim.: x}\n",
			want: []v1.FieldError{{Resource: "ServiceAccount/a", Path: "metadata.annotations.rbac.kargo.akuity.io/claim.", Msg: "names no claim: write rbac.kargo.akuity.io/claim.<claim>, e.g. rbac.kargo.akuity.io/claim.groups"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Decode("m.yaml", []byte(tt.doc))
			for i := range tt.want {
				tt.want[i].File = "m.yaml"
			}
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("Decode errors (-want +got):\n%s", diff)
			}
		})
	}
}
