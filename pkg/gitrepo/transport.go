package gitrepo

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// The transports a remote URL can name, as go-git tells them apart: scp-like addresses
// (git@host:path) are ssh, and a URL without a scheme is a local path, like file://.
const (
	TransportHTTPS = "https"
	TransportHTTP  = "http"
	TransportSSH   = "ssh"
	TransportGit   = "git"
	TransportFile  = "file"
)

// AllowTransportFlag is the option, of executor-git, the warehouse and dray up, that allows
// transports beyond the network ones (README.md, "Sandbox").
const AllowTransportFlag = "--allow-git-transport"

// ErrTransportNotAllowed means a remote URL names a transport the operator did not allow:
// by default only https, http and ssh are, so that a repository URL cannot read the host's
// filesystem (file:// and local paths) or reach it over unauthenticated git://.
var ErrTransportNotAllowed = errors.New("git transport is not allowed")

// Transports are the transports allowed beyond https, http and ssh, which are always
// allowed: TransportFile (file:// and local paths) and TransportGit (git://). The zero
// value allows the network transports only. It is safe for concurrent use.
type Transports []string

// ParseTransports reads an operator's list of extra transports ("file", "git"), comma- or
// space-separated, and returns an error naming any other.
func ParseTransports(list string) (Transports, error) {
	var t Transports
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		name = strings.ToLower(name)
		switch name {
		case TransportFile, TransportGit:
			t = append(t, name)
		case TransportHTTPS, TransportHTTP, TransportSSH:
			// always allowed
		default:
			return nil, fmt.Errorf("%s %q: unknown transport; want file or git", AllowTransportFlag, name)
		}
	}
	return t, nil
}

// String lists the transports, comma-separated, for flag.Value.
func (t Transports) String() string { return strings.Join(t, ",") }

// Set adds the transports of list (see ParseTransports), for flag.Value: the option may be
// repeated.
func (t *Transports) Set(list string) error {
	more, err := ParseTransports(list)
	if err != nil {
		return err
	}
	for _, name := range more {
		if !slices.Contains(*t, name) {
			*t = append(*t, name)
		}
	}
	return nil
}

// Type names the value for pflag's help.
func (*Transports) Type() string { return "transports" }

// BindFlag registers AllowTransportFlag on fs, filling t, with its default from
// $DRAY_ALLOW_GIT_TRANSPORT (an invalid value there is ignored). Every service that reaches
// Git remotes (executor-git, warehouse) registers it the same way.
func (t *Transports) BindFlag(fs *flag.FlagSet) {
	if v := os.Getenv("DRAY_ALLOW_GIT_TRANSPORT"); v != "" {
		_ = t.Set(v)
	}
	fs.Var(t, strings.TrimPrefix(AllowTransportFlag, "--"),
		"transports Git remotes may use beyond https, http and ssh: file (file:// and local paths, which read this host's files) or git (git://); repeatable or comma-separated; default none; env DRAY_ALLOW_GIT_TRANSPORT")
}

// Check returns an error wrapping ErrTransportNotAllowed when url names a transport that t
// does not allow, and one that says the URL is not valid when go-git cannot read it. The
// error names the transport and the option that allows it, never the URL (it may hold a
// password).
func (t Transports) Check(url string) error {
	name, err := TransportOf(url)
	if err != nil {
		return err
	}
	switch name {
	case TransportHTTPS, TransportHTTP, TransportSSH:
		return nil
	}
	if slices.Contains(t, name) {
		return nil
	}
	what := name + "://"
	if name == TransportFile {
		what = "file:// and local paths"
	}
	return fmt.Errorf("%w: %s (only https, http and ssh remotes are allowed; an operator allows %s with %s %s)",
		ErrTransportNotAllowed, what, name, AllowTransportFlag, name)
}

// TransportOf returns the transport go-git uses for url: one of the Transport constants, or
// the URL's scheme when it is another.
func TransportOf(url string) (string, error) {
	if strings.TrimSpace(url) == "" {
		return "", errors.New("no repository URL")
	}
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return "", errors.New("not a valid repository URL")
	}
	return strings.ToLower(ep.Protocol), nil
}
