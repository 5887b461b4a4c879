package steps

// Executors maps every built-in step kind to the executor that runs it (docs/steps/README.md#executors). A kind
// not listed here is a CustomPromotionStep, run by the container executor, or unknown.
var executors = map[string]string{
	"compose-output": "scheduler", "set-metadata": "scheduler", "set-freight-alias": "scheduler",
	"fail": "scheduler", "get-user-input": "scheduler", "wait-for-approval": "scheduler",
	"record-audit-event": "scheduler",

	"git-clone": "git", "git-clear": "git", "git-commit": "git", "git-tag": "git",
	"git-push": "git", "github-push": "git", "git-open-pr": "git", "git-wait-for-pr": "git",
	"git-merge-pr": "git",

	"yaml-update": "config", "yaml-parse": "config", "yaml-merge": "config",
	"json-update": "config", "json-parse": "config", "toml-update": "config",
	"toml-parse": "config", "hcl-update": "config", "kustomize-set-image": "config",
	"kustomize-build": "config", "helm-update-chart": "config", "helm-template": "config",
	"copy": "config", "delete": "config", "file-write": "config", "tar": "config",
	"untar": "config",

	"argocd-update": "argocd", "argocd-wait": "argocd",

	"http": "http", "http-download": "http", "oci-download": "http", "oci-push": "http",
	"send-message": "http",
}

// ExecutorFor returns the executor that runs the built-in step uses, and false when uses is
// not a built-in step.
func ExecutorFor(uses string) (string, bool) {
	e, ok := executors[uses]
	return e, ok
}
