package main

import (
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// clusterKinds are cluster-wide resources dray apply takes.
const clusterKinds = `apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterConfig
metadata: {name: cluster}
spec:
  promotionWindows:
  - {name: freeze, kind: Deny, schedule: "0 0 25 12 *", duration: 24h}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterPromotionTask
metadata: {name: announce}
spec:
  steps:
  - uses: compose-output
    as: done
    config: {a: b}
`

// TestDeleteClusterKindsAndSecrets: dray delete removes cluster-wide resources (only a
// system admin may) and a project's Secret, printing each as kubectl does and never a
// Secret's value; one that does not exist is an error. A project's admin may delete its
// project.
func TestDeleteClusterKindsAndSecrets(t *testing.T) {
	server := up(t)
	c := adminClient(server)
	dir := writeManifests(t, map[string]string{"project.yaml": project, "cluster.yaml": clusterKinds})
	if out, err := dray(t, server, "apply", "-f", dir); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if out, err := drayIn(t, server, shopSecret, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply secret: %v\n%s", err, out)
	}
	admin, err := c.CreateToken(t.Context(), "shop", &v1.CreateTokenRequest{Name: "boss", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := asToken(t, server, admin.Token, "delete", "clusterconfig", "cluster"); err == nil || !strings.Contains(err.Error(), "may not delete clusterconfigs/cluster") {
		t.Errorf("dray delete clusterconfig as a project's admin = %v\n%s\nwant it refused", err, out)
	}

	out, err := dray(t, server, "delete", "clusterconfig", "cluster")
	if err != nil || out != "clusterconfig.kargo.akuity.io \"cluster\" deleted\n" {
		t.Errorf("dray delete clusterconfig cluster = %v\n%q", err, out)
	}
	out, err = drayIn(t, server, clusterKinds, "delete", "-f", "-", "--ignore-not-found")
	if err != nil || out != "clusterpromotiontask.kargo.akuity.io \"announce\" deleted\n" {
		t.Errorf("dray delete -f - (cluster kinds, the ClusterConfig gone) = %v\n%q", err, out)
	}
	if out, err := dray(t, server, "delete", "clusterpromotiontask", "announce"); err == nil || !strings.Contains(err.Error(), `clusterpromotiontask.kargo.akuity.io "announce" not found`) || strings.Contains(err.Error(), "in project") {
		t.Errorf("dray delete clusterpromotiontask announce (gone) = %v\n%s\nwant not found, in no project", err, out)
	}
	// Applied again, the ClusterConfig is new: deleting it left nothing behind.
	if out, err := dray(t, server, "apply", "-f", dir); err != nil || !strings.Contains(out, "ClusterConfig/cluster created") {
		t.Errorf("apply after delete = %v\n%s\nwant the cluster kinds created", err, out)
	}

	out, err = dray(t, server, "-p", "shop", "delete", "secret", "git-creds")
	if err != nil || out != "secret \"git-creds\" deleted\n" {
		t.Errorf("dray delete secret git-creds = %v\n%q", err, out)
	}
	if secrets, err := c.Secrets(t.Context(), "shop"); err != nil || len(secrets) != 0 {
		t.Errorf("secrets after dray delete secret = %v, %v; want none", secrets, err)
	}
	out, err = dray(t, server, "-p", "shop", "delete", "secret", "git-creds")
	if err == nil || !strings.Contains(err.Error(), `secret "git-creds" not found in project "shop"`) {
		t.Errorf("dray delete secret git-creds (gone) = %v\n%s", err, out)
	}
	// Deleting a Secret by its manifest prints its name only.
	if out, err := drayIn(t, server, shopSecret, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply secret again: %v\n%s", err, out)
	}
	out, err = drayIn(t, server, shopSecret, "delete", "-f", "-")
	if err != nil || out != "secret \"git-creds\" deleted\n" || strings.Contains(out, "hunter2") {
		t.Errorf("dray delete -f secret.yaml = %v\n%q", err, out)
	}

	// A project's admin may delete the project itself (pkg/access: its role allows every verb
	// on every resource of the project, projects included); its token goes with it.
	if out, err := drayIn(t, server, "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata: {name: scratch}\n", "apply", "-f", "-"); err != nil {
		t.Fatalf("apply scratch: %v\n%s", err, out)
	}
	owner, err := c.CreateToken(t.Context(), "scratch", &v1.CreateTokenRequest{Name: "owner", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := asToken(t, server, owner.Token, "delete", "project", "scratch"); err != nil || out != "project.kargo.akuity.io \"scratch\" deleted\n" {
		t.Errorf("dray delete project scratch by its admin = %v\n%q", err, out)
	}
	if out, err := asToken(t, server, owner.Token, "-p", "scratch", "get", "stages"); err == nil {
		t.Errorf("the deleted project's admin token still works:\n%s", out)
	}
}
