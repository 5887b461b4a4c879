// Package deploy tests what ships for deploying Dray: the Helm chart in deploy/helm/dray (lint,
// render, strict decoding with the Kubernetes API types, ports and files lined up with the
// flags the binaries read, NATS's configuration with the bus's users), the Dockerfile and
// .dockerignore (BuildKit's parser), and docker-compose.yaml (compose-go). See docs/deploy.md.
package deploy

// Root is the repository's root, relative to this package's directory (where go test runs).
const Root = "../.."
