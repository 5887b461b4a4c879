package expr

import v1 "github.com/drayhq/dray/pkg/api/v1"

// Env is the evaluation environment of one step (docs/expressions.md#variables). A nil *Env is treated as
// an empty one. An Env must not be modified while it is being evaluated.
//
// The data functions (#data-functions) read through callbacks, so that the caller supplies the data and
// this package stays pure. A nil callback makes its function fail with an error wrapping
// ErrDataUnavailable. A callback's error fails the expression; it must not contain secret
// values.
type Env struct {
	// Ctx is exposed as `ctx`: project, stage, promotion, targetFreight{name, alias,
	// origin{name}}, meta{promotion{actor}, step{alias}}.
	Ctx map[string]any
	// Vars is exposed as `vars`.
	Vars map[string]any
	// Outputs is exposed as `outputs`: step alias → that step's output map.
	Outputs map[string]any
	// TaskOutputs is exposed as `task.outputs` when non-nil (steps inflated from a task only).
	TaskOutputs map[string]any
	// Freight is the Promotion's Freight collection, searched by imageFrom, commitFrom and
	// chartFrom.
	Freight []v1.Freight
	// Requested returns the Warehouses of the Stage's requested Freight, in order. Without an
	// origin argument, imageFrom, commitFrom and chartFrom take the origin from them: the one
	// Warehouse that subscribes to the repository (two or more are an error, even when only
	// one has Freight in the collection yet). A Warehouse that no longer exists is given by
	// name alone, without subscriptions: its Freight in the collection decides for it (Kargo
	// fails with `Warehouse "x" not found`; Dray keeps promoting what the Stage holds). Nil
	// means no Stage is at hand (dray run): the origin is then the one Freight of the
	// collection that has the artifact.
	Requested func() ([]v1.Warehouse, error)
	// Status returns the recorded status of an earlier step by alias ("" if unknown). Nil
	// means the status functions (success, failure, always, status) are not available, as
	// while evaluating vars.
	Status func(alias string) string
	// Failed reports whether an earlier step counts as failed (docs/steps/README.md#skipping-a-step-if); it drives
	// success() and failure().
	Failed bool

	// Secret returns the decoded data of the Project's secret name, or nil if there is no
	// such secret (secret() then returns {}). It backs secret(); results are cached for one
	// evaluation.
	Secret func(name string) (map[string]string, error)
	// SharedSecret is Secret for the shared (system-wide) store; it backs sharedSecret() and
	// must return nil for a secret not labelled kargo.akuity.io/cred-type: generic.
	SharedSecret func(name string) (map[string]string, error)
	// ConfigMap returns the data of the Project's config map name, or nil if there is none.
	// It backs configMap(); results are cached for one evaluation.
	ConfigMap func(name string) (map[string]string, error)
	// SharedConfigMap is ConfigMap for the shared store; it backs sharedConfigMap().
	SharedConfigMap func(name string) (map[string]string, error)
	// FreightMetadata returns the status.metadata of the Freight name, or nil if the Freight
	// is missing or has none. It backs freightMetadata() and is called on every use (no
	// cache: the function reads the latest state).
	FreightMetadata func(name string) (map[string]any, error)
	// FreightStatus returns the whole status of the Freight name as a map with JSON keys
	// (currentlyIn, verifiedIn, approvedFor, metadata), or nil if the Freight is missing. It
	// backs freightStatus() and is called on every use.
	FreightStatus func(name string) (map[string]any, error)
	// StageMetadata returns the status.metadata of the Stage name, or nil if the Stage is
	// missing or has none. It backs stageMetadata() and is called on every use.
	StageMetadata func(name string) (map[string]any, error)

	// SecretVars names the entries of Vars whose values came from a secret, as TemplateSecret
	// reports them. RenderRedacted and TemplateSecret treat a template that may read one of
	// them like one that calls secret(), and their values are kept out of error messages.
	SecretVars map[string]bool
}
