// Package secret keeps Secrets encrypted in the dray-secrets bucket and finds the credentials
// a step or a Warehouse needs for a repository URL.
package secret
