package argocd

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// SecretName is the Secret a project may hold to use its own Argo CD instead of the executor's:
// its keys are server, token, namespace, insecureSkipTLSVerify ("true") and ca (PEM). Keys it
// leaves out come from the executor's configuration, except that a Secret naming its own
// server must give its own token: the executor's token is never sent to a project's server.
const SecretName = "argocd"

// ErrNotConfigured means no Argo CD server is configured for a project.
var ErrNotConfigured = errors.New("no Argo CD server configured: set --argocd-server (DRAY_ARGOCD_SERVER) and --argocd-token-file (DRAY_ARGOCD_TOKEN_FILE) on the argocd executor, or a Secret named " + SecretName + " with server and token in the project")

// secretReader is all a Provider needs of the secret store.
type secretReader interface {
	Data(ctx context.Context, project, name string) (map[string]string, error)
}

// Provider gives each project its Argo CD client: the executor's, or the one its argocd
// Secret describes. Clients are cached by configuration. It is safe for concurrent use.
type Provider struct {
	def     Config
	secrets secretReader

	mu      sync.Mutex
	clients map[[32]byte]*Client
}

// NewProvider returns a Provider with the executor's configuration def. secrets may be nil:
// then every project uses def.
func NewProvider(def Config, secrets secretReader) *Provider {
	return &Provider{def: def, secrets: secrets, clients: map[[32]byte]*Client{}}
}

// Client returns the client for project. It fails with ErrNotConfigured when neither the
// executor nor the project configure a server, and when the project's Secret is invalid.
func (p *Provider) Client(ctx context.Context, project string) (*Client, error) {
	cfg := p.def
	if p.secrets != nil {
		data, err := p.secrets.Data(ctx, project, SecretName)
		if err != nil {
			return nil, fmt.Errorf("read Secret %s/%s: %w", project, SecretName, err)
		}
		if data != nil {
			if cfg, err = override(cfg, data); err != nil {
				return nil, fmt.Errorf("Secret %s/%s: %w", project, SecretName, err)
			}
		}
	}
	if !cfg.Configured() {
		return nil, ErrNotConfigured
	}
	key := sha256.Sum256(fmt.Appendf(nil, "%q %q %q %t %q %d", cfg.Server, cfg.Token, cfg.Namespace, cfg.InsecureSkipTLSVerify, cfg.CA, cfg.Timeout))
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[key]; ok {
		return c, nil
	}
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	p.clients[key] = c
	return c, nil
}

func override(cfg Config, data map[string]string) (Config, error) {
	if s := data["server"]; s != "" && s != cfg.Server {
		cfg.Server, cfg.Token, cfg.CA, cfg.InsecureSkipTLSVerify = s, "", nil, false
		if data["token"] == "" {
			return cfg, errors.New("names a server but no token")
		}
	}
	if t := data["token"]; t != "" {
		cfg.Token = t
	}
	if ns := data["namespace"]; ns != "" {
		cfg.Namespace = ns
	}
	if ca := data["ca"]; ca != "" {
		cfg.CA = []byte(ca)
	}
	if v := data["insecureSkipTLSVerify"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("insecureSkipTLSVerify: %q is not a boolean", v)
		}
		cfg.InsecureSkipTLSVerify = b
	}
	return cfg, nil
}
