package ocidownload_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// remoteAuth are the options that push test fixtures to a registry behind basic auth.
func remoteAuth(t testing.TB, user, password string) []remote.Option {
	t.Helper()
	return []remote.Option{remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: user, Password: password}))}
}
