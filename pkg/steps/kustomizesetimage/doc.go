// Package kustomizesetimage implements the kustomize-set-image step: it sets the images of a
// kustomization (name, newName, newTag, digest) through kustomize's kyaml library, keeping the
// file's comments.
//
// Example:
//
//	steps:
//	- uses: kustomize-set-image
//	  as: set-image
//	  config:
//	    path: ./out/overlays/prod
//	    images:
//	    - image: ghcr.io/example/app
//	      tag: ${{ imageFrom("ghcr.io/example/app").Tag }}
//	    - image: ghcr.io/example/worker
//	      name: worker
//	      newName: registry.example.com/worker
//	      digest: ${{ imageFrom("ghcr.io/example/worker").Digest }}
//
// The directory at config.path must hold exactly one of kustomization.yaml,
// kustomization.yml and Kustomization; none or several is Errored with reason
// KustomizationNotFound. Each configured image replaces, wholesale, the images entry whose
// name is images[].name (default: images[].image); "*" in newName, tag or digest keeps the
// value the existing entry has. Other entries are kept, the list is sorted by name, and the
// file is re-serialised by kyaml: comments survive, indentation and quoting are normalised
// (docs/steps/kustomize-set-image.md).
//
// Without config.images, the images come from every Freight of the promotion, each keyed by
// its repoURL and set with both its tag and its digest. The step reads that Freight from the
// FreightSource given to New; two Freights that hold the same image repository make the step
// Errored with reason AmbiguousImage, and no FreightSource makes it Failed (set images).
//
// The step outputs commitMessage, "Updated <path> to use new image[s]\n" followed by a
// "\n- <name|newName>[:tag][@digest]" line per image set, sorted.
package kustomizesetimage
