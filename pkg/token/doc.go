// Package token makes, stores and checks Dray's API tokens: a token is
// dray_<project>.<name>_<secret> (dray__system.<name>_<secret> for a system-admin token),
// and the dray-tokens bucket keeps its name, role, expiry and SHA-256, never the token
// (README.md, "Access control"; pkg/bus/README.md).
package token
