// Package argocd is a small client of the Argo CD API server: it reads, updates and syncs
// Applications over HTTPS with a bearer token, using Argo CD's documented REST shapes
// (/api/v1/applications).
package argocd
