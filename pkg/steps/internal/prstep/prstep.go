// Package prstep holds what the pull request steps (git-open-pr, git-wait-for-pr,
// git-merge-pr) share: reaching the provider with the project's credentials, turning
// provider errors into step outcomes, and the pr output.
package prstep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drayhq/dray/pkg/gitprovider"
	"github.com/drayhq/dray/pkg/gitrepo"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
)

// Connect returns a provider client for repoURL with the git credentials store holds for
// project (a token is their password), anonymous when store is nil or holds none. A provider
// that cannot be inferred or is not supported, or a URL that names no repository, is terminal.
func Connect(ctx context.Context, store gitrepo.CredentialStore, project, repoURL, provider string, insecure bool) (*gitprovider.Client, error) {
	// A pull request lives on a hosting provider, reached over the network: repoURL never
	// names the host's filesystem, whatever transports the git executor allows for clones.
	switch t, _ := gitrepo.TransportOf(repoURL); t {
	case gitrepo.TransportFile, gitrepo.TransportGit:
		return nil, steps.Terminal(steps.Reasoned("TransportNotAllowed", fmt.Errorf(
			"config.repoURL: %w: %s (a pull request needs a repository on a hosting provider, reached over https, http or ssh)", gitrepo.ErrTransportNotAllowed, t)))
	}
	var creds *secret.Credentials
	if store != nil {
		c, err := store.Credentials(ctx, project, secret.TypeGit, repoURL)
		if err != nil {
			return nil, fmt.Errorf("look up git credentials for %s: %w", gitprovider.RedactURL(repoURL), err)
		}
		creds = c
	}
	c, err := gitprovider.New(repoURL, provider, gitprovider.WithCredentials(creds), gitprovider.WithInsecureSkipTLSVerify(insecure))
	if err != nil {
		return nil, Error(err)
	}
	return c, nil
}

// Error gives err a reason and decides whether it is retried: a bad repository URL, an
// unknown or unsupported provider or merge method are terminal; refused credentials
// (Unauthorized), a missing pull request (PullRequestNotFound) and other API or network
// errors (ProviderError) are retried.
func Error(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gitprovider.ErrUnknownProvider), errors.Is(err, gitprovider.ErrUnsupportedProvider):
		return steps.Terminal(steps.Reasoned("UnknownProvider", err))
	case errors.Is(err, gitprovider.ErrBadRepoURL), errors.Is(err, gitprovider.ErrInvalidMergeMethod):
		return steps.Terminal(steps.Reasoned("InvalidConfig", err))
	case errors.Is(err, gitprovider.ErrUnauthorized):
		return steps.Reasoned("Unauthorized", err)
	case errors.Is(err, gitprovider.ErrNotFound):
		return steps.Reasoned("PullRequestNotFound", err)
	}
	return steps.Reasoned("ProviderError", err)
}

// Interval parses a duration config field, default def when empty; a bad value is terminal.
func Interval(sc *steps.Context, step, field, value string, def time.Duration) (time.Duration, error) {
	if value == "" {
		return def, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, steps.Terminal(fmt.Errorf("step %q (%s): %w: config.%s: %q is not a positive duration such as 30s",
			sc.Alias, step, steps.ErrInvalidConfig, field, value))
	}
	return d, nil
}

// Output is the pr output of git-wait-for-pr: id, url, open and merged.
func Output(pr gitprovider.PR) map[string]any {
	return map[string]any{"id": pr.Number, "url": pr.URL, "open": pr.State == gitprovider.StateOpen, "merged": pr.State == gitprovider.StateMerged}
}
