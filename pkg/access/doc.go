// Package access decides what an authenticated identity may do in Dray: the built-in roles
// (viewer, developer, admin and the system admin), the roles a project declares with
// ServiceAccount, Role and RoleBinding manifests, and the role to name when a request is
// refused. Deciding is pure: the caller gives it the identity, the request and the project's
// declared roles, which PolicyIndex keeps, following dray-resources (README.md, "Access
// control").
package access
