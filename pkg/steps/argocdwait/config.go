package argocdwait

import (
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/argocd"
)

// Config is the config of argocd-wait, as described by schemas/steps/argocd-wait.json.
type Config struct {
	Apps []App `json:"apps"`
}

// App names Applications by name or label selector and says what to wait for.
type App struct {
	Name      string           `json:"name,omitempty"`
	Selector  *argocd.Selector `json:"selector,omitempty"`
	Namespace string           `json:"namespace,omitempty"`
	// WaitFor lists health, sync, operation, suspended and degraded; default health, sync
	// and operation.
	WaitFor []string `json:"waitFor,omitempty"`
}

// Validate reports apps that set both or neither of name and selector.
func (c *Config) Validate() error {
	var errs []error
	for i, a := range c.Apps {
		if (a.Name == "") == (a.Selector == nil) {
			errs = append(errs, fmt.Errorf("config.apps[%d]: set exactly one of name and selector", i))
		}
	}
	return errors.Join(errs...)
}
