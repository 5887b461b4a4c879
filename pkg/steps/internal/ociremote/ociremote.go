// Package ociremote holds what the oci-download and oci-push steps share: parsing an image
// reference with an optional oci:// prefix, and the go-containerregistry options that reach
// its registry with the project's credentials.
package ociremote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drayhq/dray/pkg/secret"
)

// HelmPrefix marks a reference to a Helm chart in an OCI registry: its credentials are the
// project's Helm credentials instead of its image credentials.
const HelmPrefix = "oci://"

// Options are the operator's settings shared by the OCI steps. The zero value reaches
// registries anonymously and trusts the system's CAs.
type Options struct {
	// Secrets holds the projects' registry credentials; nil means anonymous access.
	Secrets *secret.Store
	// RootCAs verify registries unless a step sets insecureSkipTLSVerify; nil means the
	// system's.
	RootCAs *x509.CertPool
	// Guard, when set, wraps the transport of a project's requests, e.g. to hold them to the
	// project's host allowlist (httpstep.ClientOptions.Guard). nil lets every request through.
	Guard func(project string, base *http.Transport) http.RoundTripper
}

// Ref is a parsed reference: [oci://]registry/repo:tag or …@sha256:….
type Ref struct {
	name.Reference
	// Helm is true when the reference had the oci:// prefix.
	Helm bool
}

// Parse parses s, the value of config field field. An error names the field.
func Parse(field, s string) (Ref, error) {
	s = strings.TrimSpace(s)
	rest, helm := strings.CutPrefix(s, HelmPrefix)
	ref, err := name.ParseReference(rest)
	if err != nil {
		return Ref{}, fmt.Errorf("%s: %q is not a valid image reference: %w", field, s, err)
	}
	return Ref{Reference: ref, Helm: helm}, nil
}

// ParseTag parses s, the value of config field field, and requires it to end in an explicit
// tag (no digest, and no implied "latest").
func ParseTag(field, s string) (Ref, name.Tag, error) {
	s = strings.TrimSpace(s)
	rest, helm := strings.CutPrefix(s, HelmPrefix)
	last := rest[strings.LastIndex(rest, "/")+1:]
	if strings.Contains(rest, "@") || !strings.Contains(last, ":") {
		return Ref{}, name.Tag{}, fmt.Errorf("%s: %q must end in a tag, e.g. registry/repo:v1", field, s)
	}
	tag, err := name.NewTag(rest)
	if err != nil {
		return Ref{}, name.Tag{}, fmt.Errorf("%s: %q is not a valid tag reference: %w", field, s, err)
	}
	return Ref{Reference: tag, Helm: helm}, tag, nil
}

// RepoURL is the repository of r as the secret store matches it: with oci:// for Helm.
func (r Ref) RepoURL() string {
	if r.Helm {
		return HelmPrefix + r.Context().Name()
	}
	return r.Context().Name()
}

// CredType is the kind of credentials r needs: secret.TypeHelm with oci://, else
// secret.TypeImage.
func (r Ref) CredType() string {
	if r.Helm {
		return secret.TypeHelm
	}
	return secret.TypeImage
}

// Remote returns the options that reach r's registry for project: the project's
// credentials for r when the secret store has some (anonymous otherwise), TLS verified
// against RootCAs unless insecure, and ctx. A failure to read the secret store is
// retryable.
func (o Options) Remote(ctx context.Context, project string, r Ref, insecure bool) ([]remote.Option, error) {
	auth, err := o.auth(ctx, project, r)
	if err != nil {
		return nil, err
	}
	tr := remote.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		RootCAs:            o.RootCAs,
		InsecureSkipVerify: insecure, //nolint:gosec // the step asked for it
		MinVersion:         tls.VersionTLS12,
	}
	var rt http.RoundTripper = tr
	if o.Guard != nil {
		rt = o.Guard(project, tr)
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(auth),
		remote.WithTransport(rt),
		remote.WithUserAgent("dray"),
	}, nil
}

func (o Options) auth(ctx context.Context, project string, r Ref) (authn.Authenticator, error) {
	if o.Secrets == nil {
		return authn.Anonymous, nil
	}
	c, err := o.Secrets.Credentials(ctx, project, r.CredType(), r.RepoURL())
	if err != nil {
		return nil, fmt.Errorf("look up %s credentials for %s: %w", r.CredType(), r.RepoURL(), err)
	}
	if c == nil || c.Username == "" && c.Password == "" {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password}), nil
}
