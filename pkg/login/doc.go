// Package login signs the dray CLI in to a gateway with OIDC: the authorization code flow
// with PKCE and a loopback redirect (RFC 8252), and the refresh of the ID token it keeps in
// the user's Dray config (README.md, "Access control").
package login
