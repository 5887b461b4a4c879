// Package helmupdatechart implements the helm-update-chart step: it sets dependency versions
// in a chart's Chart.yaml, then refreshes Chart.lock and the vendored charts/ tarballs with
// Helm's dependency manager, from classic and oci:// repositories.
//
// Example:
//
//	steps:
//	- uses: helm-update-chart
//	  as: update-chart
//	  config:
//	    path: ./src/charts/umbrella
//	    charts:
//	    - repository: https://charts.example.com
//	      name: app
//	      version: ${{ chartFrom("https://charts.example.com", "app").Version }}
//
// For each config.charts entry, the Chart.yaml dependency with exactly the same repository
// and name has its version rewritten, line based as yaml-update does (comments elsewhere
// survive); no such dependency is Errored with reason DependencyNotFound. Then the step runs
// a Helm dependency update: versions and ranges in Chart.yaml are resolved, the tarballs in
// charts/ are replaced and Chart.lock is written. Without config.charts only the update runs
// (docs/steps/helm-update-chart.md).
//
// Repositories are read with the project's Helm credentials for their URL (Secrets labelled
// kargo.akuity.io/cred-type: helm; oci://host/path for a registry), anonymously when there
// are none, with a repository config and cache of the step's own in a temporary directory
// (the host's helm configuration is never read). A file:// dependency must stay inside the
// workspace, as must every symlink in the chart. When the update fails, Chart.yaml is put
// back as it was. When the resolved dependencies equal those already locked, Chart.lock is
// restored byte for byte (Helm would otherwise rewrite its generated time).
//
// The step outputs commitMessage only when the lock changed: "Updated chart dependencies for
// <path>\n" followed by "\n- <name>: <old> -> <new>" per changed dependency ("<name>:
// <version>" for a new one, "<old> -> removed" for one that went away), sorted.
package helmupdatechart
