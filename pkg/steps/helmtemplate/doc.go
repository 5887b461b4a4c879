// Package helmtemplate implements the helm-template step: it renders a Helm chart from the
// workspace with the Helm SDK, client-only (no cluster), into one manifest file or a
// directory of files, as helm template does.
//
// Example:
//
//	steps:
//	- uses: helm-template
//	  as: render
//	  config:
//	    path: ./src/charts/app
//	    releaseName: app
//	    namespace: prod
//	    valuesFiles: [./src/envs/prod/values.yaml]
//	    setValues:
//	    - key: image.tag
//	      value: ${{ imageFrom("ghcr.io/example/app").Tag }}
//	    outPath: ./out/prod.yaml
//
// The chart is read through the workspace, honouring its .helmignore, so nothing outside the
// workspace is read, even through a symlink. Values are, in order: the chart's values.yaml,
// config.valuesFiles (a missing one is an error unless ignoreMissingValueFiles), then
// config.setValues as helm's --set (or --set-literal when literal). The namespace defaults
// to the project's name, not "default". kubeVersion and apiVersions set the capabilities
// the templates see (docs/steps/helm-template.md).
//
// With buildDependencies, the chart's dependencies are fetched into its charts/ directory
// first, from Chart.lock when there is one, else resolved from Chart.yaml (helm dependency
// build); classic and oci:// repositories are read with the project's Helm credentials for
// their URL (Secrets labelled kargo.akuity.io/cred-type: helm; oci://host/path for a
// registry), anonymously when there are none.
//
// An outPath ending in .yaml or .yml receives the whole rendering, as helm template prints it:
// CRDs (with includeCRDs), the manifests, then the hooks (unless disableHooks; test hooks
// are dropped with skipTests). Any other outPath is a directory: with outLayout helm
// (default) each template goes to <outPath>/<chart>/<path in the chart>, as helm template
// --output-dir writes it (the release name instead of the chart's with useReleaseName); with
// outLayout flat each template goes to <outPath>/<name>, where name is its path below
// templates/ (or crds/) with "/" turned into "-" and a subchart's name in front. A file
// holding several documents separates them with "---".
//
// The step has no output. A chart that does not load or render is Errored with reason
// HelmTemplateFailed.
package helmtemplate
