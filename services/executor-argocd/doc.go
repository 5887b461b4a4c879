// Package executorargocd is the argocd executor service: it will run argocd-update and argocd-wait. No step is implemented yet: it starts, declares its NATS resources, reports healthy, and errors any job it gets with "step kind not registered". It is wiring: the job
// loop is pkg/executor's.
package executorargocd
