// Package executorargocd is the argocd executor service: it runs the argocd-update and
// argocd-wait steps against the Argo CD API server, and evaluates the health of every Stage
// that holds Freight: the health checks registered by the Promotion that delivered it
// (docs/resources.md#health), recorded as status.health with compare-and-set and announced as
// stage.health.changed events. The job loop is pkg/executor's.
package executorargocd
