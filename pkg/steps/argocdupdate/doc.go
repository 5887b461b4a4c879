// Package argocdupdate implements the argocd-update step: it points Argo CD Applications'
// sources at the desired revisions (and Kustomize images / Helm parameters), syncs them, follows
// each sync to its end, and registers a health check the Stage evaluates afterwards.
//
// Example:
//
//	steps:
//	- uses: argocd-update
//	  config:
//	    apps:
//	    - name: web-${{ ctx.stage }}
//	      sources:
//	      - repoURL: https://github.com/example/deploy.git
//	        desiredRevision: ${{ outputs.commit.commit }}
//	        updateTargetRevision: true
//	      - repoURL: oci://ghcr.io/example/charts
//	        chart: web
//	        helm:
//	          images:
//	          - key: image.tag
//	            value: ${{ imageFrom("ghcr.io/example/web").Tag }}
//
// Each attempt (docs/steps/argocd-update.md) reads every Application (by name or label selector, in the
// configured namespace unless one is given) and checks its kargo.akuity.io/authorized-stage
// annotation lists <project>:<stage>; every update must match a source (Helm charts by
// repoURL and chart, Git sources by normalised URL) before anything changes. Then, per
// Application: while an operation runs the step waits (Running); a finished sync of its own
// (operation info kargo.akuity.io/promotion = the Promotion's name) that reached the desired
// revisions is done, a failed one errors the step with Argo CD's message; otherwise the step
// writes the updated spec (PUT /api/v1/applications/{name}/spec) and starts a sync (POST
// .../sync) to the desired revisions, with the Application's retry policy, sync options and
// prune setting. The step succeeds when every sync succeeded; it does not wait for the
// Applications to become Healthy: that is the Stage's health.
//
// Outputs: apps, [{name, namespace}] of the Applications it resolved, and healthCheck,
// {uses: argocd-update, config: {apps: [{name, namespace, desiredRevisions}]}}, which the argocd
// executor evaluates with CheckHealth while the Stage holds the Freight.
//
// The Argo CD server and token come from the argocd executor's configuration or the project's
// Secret named argocd (see argocd.SecretName).
package argocdupdate
