// Package kustomizebuild implements the kustomize-build step: it builds a kustomization with
// kustomize's krusty library (no kustomize binary) and writes the manifests into the
// workspace, as one file or one file per resource.
//
// Example:
//
//	steps:
//	- uses: kustomize-build
//	  as: render
//	  config:
//	    path: ./src/overlays/prod
//	    outPath: ./out/prod.yaml
//
// The build reads only the workspace: a resource, base, patch or generator input outside it,
// through ".." or a symlink, fails the build, and the kustomization cannot write files.
// Within the workspace there are no load restrictions (a kustomization may read files above
// its own directory). Only kustomize's built-in plugins run; exec and Go plugins are
// disabled. The builtin Helm inflation (helmCharts) is enabled and runs the helm command on
// PATH with config.plugin.helm's apiVersions and kubeVersion; without a helm command such a
// kustomization fails. Builds run one at a time per process, as kustomize's global state
// needs (docs/steps/kustomize-build.md).
//
// An outPath ending in .yaml or .yml receives every resource as one multi-document file.
// Any other outPath is a directory that receives a file per resource (files already there are
// overwritten, others kept), named by config.outputFormat:
//
//   - kargo (default): lower-case "[<namespace>-]<kind>-<name>.yaml";
//   - kustomize: as kustomize build --output does, lower-case
//     "[<namespace>_]<group>_<version>_<kind>_<name>.yaml", the namespace prefix only when the
//     resources span more than one namespace.
//
// The step has no output.
package kustomizebuild
