// Package argocdwait implements the argocd-wait step: it waits until Argo CD Applications
// reach the states it is told to wait for (health, sync, no operation in progress), changing
// nothing.
//
// Example:
//
//	steps:
//	- uses: argocd-wait
//	  config:
//	    apps:
//	    - name: web-${{ ctx.stage }}
//	      waitFor: [health, sync]
//
// Per Application and attempt (docs/steps/argocd-wait.md): operation means no operation is pending or
// running; sync means Synced; health, suspended and degraded are health statuses (Healthy,
// Suspended, Degraded) of which any will do. Health is not trusted until Argo CD reconciled
// the Application after its last operation. When health is awaited and an Application turns
// Degraded from a known state other than Degraded (remembered in the lastHealth output across
// attempts), the step fails for good. All ready ⇒ Succeeded; else Running. No authorization
// annotation is needed, and no health check is registered. Outputs: apps ([{name,
// namespace}]) and lastHealth ({"<namespace>/<name>": status}).
package argocdwait
