package gitrepo

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/drayhq/dray/pkg/secret"
)

// CredentialStore finds a project's credentials for a repository URL; *secret.Store is one.
type CredentialStore interface {
	Credentials(ctx context.Context, project, credType, repoURL string) (*secret.Credentials, error)
}

// ProjectAuth returns the Auth of project: for each remote, the git credentials the store
// holds for its URL, or anonymous access when it holds none. A nil store means anonymous
// access to every remote.
//
// HTTPS remotes get basic auth (a token goes in password; username defaults to "git", which
// GitHub, GitLab and Gitea accept). SSH remotes get the private key, and the server's host
// key is checked against known_hosts ($SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts): an unknown
// host fails the step rather than being trusted.
func ProjectAuth(store CredentialStore, project string) Auth {
	if store == nil {
		return nil
	}
	return func(ctx context.Context, url string) (transport.AuthMethod, error) {
		c, err := store.Credentials(ctx, project, secret.TypeGit, url)
		if err != nil || c == nil {
			return nil, err
		}
		if isSSH(url) {
			if c.SSHPrivateKey == "" {
				return nil, fmt.Errorf("the git credentials for this ssh remote have no sshPrivateKey")
			}
			user := "git"
			if u, _, ok := strings.Cut(strings.TrimPrefix(url, "ssh://"), "@"); ok && !strings.Contains(u, "/") {
				user = u
			}
			keys, err := gitssh.NewPublicKeys(user, []byte(c.SSHPrivateKey), "")
			if err != nil {
				return nil, fmt.Errorf("the git credentials' sshPrivateKey cannot be read: %w", err)
			}
			return keys, nil
		}
		user := c.Username
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: c.Password}, nil
	}
}

// isSSH reports whether url is reached over SSH: ssh:// or the scp form user@host:path.
func isSSH(url string) bool {
	if strings.HasPrefix(url, "ssh://") {
		return true
	}
	if strings.Contains(url, "://") {
		return false
	}
	at, colon := strings.Index(url, "@"), strings.Index(url, ":")
	return at > 0 && colon > at
}
