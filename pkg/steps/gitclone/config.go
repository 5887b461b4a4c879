package gitclone

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Config is the git-clone step's config (schemas/steps/git-clone.json).
type Config struct {
	// RepoURL is the remote repository.
	RepoURL string `json:"repoURL"`
	// InsecureSkipTLSVerify skips TLS verification for this clone and later operations on it.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// Blobless asks for a partial clone; accepted, but a full clone is made.
	Blobless bool `json:"blobless,omitempty"`
	// RecurseSubmodules initialises and updates submodules recursively.
	RecurseSubmodules bool `json:"recurseSubmodules,omitempty"`
	// Author is the identity for commits made in these working trees.
	Author *Author `json:"author,omitempty"`
	// Checkout lists the working trees to create.
	Checkout []Checkout `json:"checkout"`
}

// Author is a commit identity.
type Author struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	SigningKey string `json:"signingKey,omitempty"`
}

// Checkout is one working tree.
type Checkout struct {
	// Path is where the working tree goes, relative to the workspace.
	Path string `json:"path"`
	// Branch, Commit and Tag say what to check out; at most one, none meaning the remote's
	// default branch.
	Branch string `json:"branch,omitempty"`
	Commit string `json:"commit,omitempty"`
	Tag    string `json:"tag,omitempty"`
	// Create makes a missing Branch.
	Create bool `json:"create,omitempty"`
	// Sparse lists directories for a cone-mode sparse checkout.
	Sparse []string `json:"sparse,omitempty"`
	// As is the key in the commits output; default Path.
	As string `json:"as,omitempty"`
}

func (co Checkout) key() string {
	if co.As != "" {
		return co.As
	}
	return co.Path
}

// validate checks what the schema cannot say; it reports every problem.
func (c Config) validate() error {
	var errs []error
	if c.Author != nil && c.Author.SigningKey != "" {
		errs = append(errs, errors.New("config.author.signingKey: commit signing is not supported yet"))
	}
	keys := map[string]int{}
	for i, co := range c.Checkout {
		field := fmt.Sprintf("config.checkout[%d]", i)
		if j, dup := keys[co.key()]; dup {
			errs = append(errs, fmt.Errorf("%s: commits key %q already used by config.checkout[%d]; set a distinct as", field, co.key(), j))
		}
		keys[co.key()] = i
		if co.Create && co.Branch == "" {
			errs = append(errs, fmt.Errorf("%s.create: needs a branch", field))
		}
		for k, dir := range co.Sparse {
			if dir == "" || path.IsAbs(dir) || strings.HasPrefix(dir, "..") || strings.ContainsAny(dir, "*?[") {
				errs = append(errs, fmt.Errorf("%s.sparse[%d]: %q must be a relative directory without .. or *?[", field, k, dir))
			}
		}
	}
	return errors.Join(errs...)
}
