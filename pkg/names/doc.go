// Package names holds the one rule for the names Dray accepts: Kargo's (Kubernetes') DNS-1123
// labels for projects and DNS-1123 subdomains for every other resource. Every entry point —
// API paths, bus messages, applied manifests — checks names with it before a NATS subject or
// key is built from them, so no input can make an invalid subject or key.
package names
