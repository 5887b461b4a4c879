package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCLISecrets: a Secret applied to dray up backs secret() in a promotion, its value shows
// nowhere (not in dray get secrets, not in the recorded Promotion), and a ConfigMap backs
// configMap().
func TestCLISecrets(t *testing.T) {
	server := up(t)
	const resources = `apiVersion: v1
kind: Secret
metadata: {name: api, namespace: shop}
stringData: {token: tok-123, user: bot}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {env: prod}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: dev, namespace: shop}
spec:
  requestedFreight:
  - origin: {kind: Warehouse, name: web}
    sources: {direct: true}
  promotionTemplate:
    spec:
      steps:
      - uses: compose-output
        as: checked
        if: "${{ len(secret('api').token) == 7 && configMap('settings').env == 'prod' }}"
        config: {env: "${{ configMap('settings').env }}"}
      - uses: compose-output
        as: leak
        config: {token: "${{ secret('api').token }}"}
`
	dir := writeManifests(t, map[string]string{"project.yaml": project, "web.yaml": web, "freight.yaml": freight, "resources.yaml": resources})
	out, err := dray(t, server, "apply", "-f", dir)
	if err != nil || !strings.Contains(out, "Secret/api created") || !strings.Contains(out, "ConfigMap/settings created") {
		t.Fatalf("apply = %v\n%s", err, out)
	}
	if out, err := dray(t, server, "get", "secrets"); err != nil || !regexp.MustCompile(`(?m)^api\s+token,user$`).MatchString(out) || strings.Contains(out, "tok-123") {
		t.Errorf("dray get secrets = %v\n%s", err, out)
	}
	out, err = dray(t, server, "promote", "--stage", "dev", "--freight", "quiet-lynx")
	if err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	name := regexp.MustCompile(`promotion (\S+) requested`).FindStringSubmatch(out)[1]
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := adminClient(server).WaitPromotion(ctx, "shop", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != "Succeeded" {
		t.Fatalf("promotion %s: %s", p.Status.Phase, p.Status.Message)
	}
	if got := p.Status.State["checked"]["env"]; got != "prod" {
		t.Errorf("outputs.checked.env = %v, want prod: the if on secret() and configMap() did not hold", got)
	}
	out, _ = dray(t, server, "get", "promotion", name, "-o", "json")
	if strings.Contains(out, "tok-123") {
		t.Errorf("the recorded Promotion shows the secret's value:\n%s", out)
	}
}
