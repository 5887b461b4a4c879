package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Config is the CLI's configuration file, kept like a kubeconfig: a context per gateway,
// with the token to send it, and the current one. dray up records its admin token there.
type Config struct {
	// CurrentContext names the context used when no --server is given.
	CurrentContext string `json:"current-context,omitempty"`
	// Contexts are the known gateways.
	Contexts []Context `json:"contexts,omitempty"`
}

// Context is one gateway and the token to send it.
type Context struct {
	// Name names the context; dray up uses the gateway's URL.
	Name string `json:"name"`
	// Server is the gateway's URL.
	Server string `json:"server"`
	// Token is the bearer token to send: an API token, or the ID token of dray login.
	Token string `json:"token,omitempty"`
	// OIDC is set by dray login: what refreshes Token when it expires.
	OIDC *OIDCLogin `json:"oidc,omitempty"`
}

// OIDCLogin is what dray login keeps to refresh its ID token.
type OIDCLogin struct {
	// Issuer is the provider's issuer URL.
	Issuer string `json:"issuer"`
	// ClientID is the public client dray login signed in with.
	ClientID string `json:"clientID"`
	// RefreshToken gets a new ID token when the current one expires; empty when the
	// provider gave none (then dray login again).
	RefreshToken string `json:"refreshToken,omitempty"`
	// Expiry is when the ID token in Token expires.
	Expiry time.Time `json:"expiry"`
}

// ConfigPath is where the configuration lives: $DRAY_CONFIG, else dray/config.yaml in the
// user's configuration directory ($XDG_CONFIG_HOME, default ~/.config, on Linux).
func ConfigPath() (string, error) {
	if p := os.Getenv("DRAY_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory (set $DRAY_CONFIG): %w", err)
	}
	return filepath.Join(dir, "dray", "config.yaml"), nil
}

// LoadConfig reads the configuration at path; a missing file is an empty configuration.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read dray config: %w", err)
	}
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("read dray config %s: %w", path, err)
	}
	return &c, nil
}

// Save writes the configuration to path, readable by its owner only (it holds tokens).
func (c *Config) Save(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write dray config: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write dray config: %w", err)
	}
	return os.Rename(tmp, path)
}

// Set records ctx, replacing the context of the same name, and makes it current.
func (c *Config) Set(ctx Context) {
	c.CurrentContext = ctx.Name
	for i := range c.Contexts {
		if c.Contexts[i].Name == ctx.Name {
			c.Contexts[i] = ctx
			return
		}
	}
	c.Contexts = append(c.Contexts, ctx)
}

// Update replaces the context of the same name, leaving the current context as it is. It
// reports whether there was one to replace.
func (c *Config) Update(ctx Context) bool {
	for i := range c.Contexts {
		if c.Contexts[i].Name == ctx.Name {
			c.Contexts[i] = ctx
			return true
		}
	}
	return false
}

// Current returns the current context, if any.
func (c *Config) Current() (Context, bool) {
	for _, ctx := range c.Contexts {
		if ctx.Name == c.CurrentContext {
			return ctx, true
		}
	}
	return Context{}, false
}

// ForServer returns the context of server, matched by URL; the current context wins a tie.
func (c *Config) ForServer(server string) (Context, bool) {
	server = strings.TrimRight(server, "/")
	if cur, ok := c.Current(); ok && strings.TrimRight(cur.Server, "/") == server {
		return cur, true
	}
	for _, ctx := range c.Contexts {
		if strings.TrimRight(ctx.Server, "/") == server {
			return ctx, true
		}
	}
	return Context{}, false
}
