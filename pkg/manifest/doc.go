// Package manifest decodes Kargo and Dray manifests (YAML or JSON, one or many documents per
// file) into the typed resources of package v1, and reports every problem with its file,
// resource and field path.
//
// Decoding is all or nothing: when any document of any file has a problem, no objects are
// returned, and the error joins one *v1.FieldError per problem (use errors.As, or unwrap the
// join with interface{ Unwrap() []error } to print each). Each document is checked in this
// order:
//
//  0. it is at most MaxDocumentBytes once its YAML aliases are expanded, which is measured
//     before anything is expanded, so a "billion laughs" document costs a walk of its nodes;
//  1. apiVersion is kargo.akuity.io/v1alpha1 (CustomPromotionStep may also use
//     ee.kargo.akuity.io/v1alpha1) and kind is a resource kind of v1.Table;
//  2. the document matches the kind's JSON Schema, with unknown fields rejected by path;
//  3. it decodes strictly into the Go type;
//  4. semantic rules hold that a schema cannot express (see Validate).
//
// Like Kubernetes, Dray ignores the metadata fields it does not read (uid, resourceVersion,
// managedFields, …) and the status block of a manifest, which only Dray writes, so that
// `kubectl get -o yaml` output of a Kargo resource is accepted as it is. YAML is read with
// YAML 1.1 scalars as in kubectl (yes/on are booleans).
package manifest
