package bus

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Users are NATS users by role, each an nkey: the server knows the public key and the
// role's permissions, the client proves it holds the seed. See pkg/bus/README.md
// "Who may do what on the bus".
type Users struct {
	keys map[string]nkeys.KeyPair
	// callout is the public account key that signs auth callout answers, when clients without
	// a configured user (API tokens, pkg/callout) may connect through the callout.
	callout string
	// calloutXKey is the public curve key the server encrypts callout requests to, when set.
	calloutXKey string
}

// UseCalloutXKey makes the server encrypt its auth callout requests to xkey, a curve key
// pair (nkeys.CreateCurveKeys) whose seed the callout holds, and take only answers
// encrypted by it: the tokens clients present are then not readable on the bus.
func (u *Users) UseCalloutXKey(xkey nkeys.KeyPair) error {
	pub, err := xkey.PublicKey()
	if err != nil {
		return fmt.Errorf("auth callout xkey: %w", err)
	}
	if !nkeys.IsValidPublicCurveKey(pub) {
		return fmt.Errorf("auth callout xkey %s: not a curve key (nkeys.CreateCurveKeys)", pub)
	}
	u.calloutXKey = pub
	return nil
}

// UseCallout makes the server ask the auth callout (pkg/callout, served by the gateway)
// about every client that is not one of the users, and take its answers when issuer, an
// account key pair, signed them. The users bypass the callout.
func (u *Users) UseCallout(issuer nkeys.KeyPair) error {
	pub, err := issuer.PublicKey()
	if err != nil {
		return fmt.Errorf("auth callout issuer: %w", err)
	}
	if !nkeys.IsValidPublicAccountKey(pub) {
		return fmt.Errorf("auth callout issuer %s: not an account key (nkeys.CreateAccount)", pub)
	}
	u.callout = pub
	return nil
}

// ServerCallout is the auth callout configuration of the server, nil without UseCallout:
// every user bypasses it, and the users it admits join the global account.
func (u *Users) ServerCallout() (*server.AuthCallout, error) {
	if u.callout == "" {
		return nil, nil
	}
	users, err := u.ServerUsers()
	if err != nil {
		return nil, err
	}
	ac := &server.AuthCallout{Issuer: u.callout, Account: server.DEFAULT_GLOBAL_ACCOUNT, XKey: u.calloutXKey}
	for _, su := range users {
		ac.AuthUsers = append(ac.AuthUsers, su.Nkey)
	}
	sys, err := u.systemUser()
	if err != nil {
		return nil, err
	}
	if sys != nil {
		ac.AuthUsers = append(ac.AuthUsers, sys.Nkey)
	}
	return ac, nil
}

// SystemAccount is the name of NATS's system account in the configuration WriteServerConfig
// writes when there is a RoleSystem user.
const SystemAccount = "SYS"

// systemUser is the RoleSystem user, nil when there is none.
func (u *Users) systemUser() (*server.NkeyUser, error) {
	if _, ok := u.keys[RoleSystem]; !ok {
		return nil, nil
	}
	return u.serverUser(RoleSystem)
}

// NewUsers makes a user with a fresh nkey, kept in memory, for every role.
func NewUsers(roles ...string) (*Users, error) {
	u := &Users{keys: map[string]nkeys.KeyPair{}}
	for _, r := range roles {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, fmt.Errorf("make an nkey for NATS role %s: %w", r, err)
		}
		if err := u.Add(r, kp); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Add gives role the nkey kp (replacing one it had). The role must be known (PermissionsOf).
func (u *Users) Add(role string, kp nkeys.KeyPair) error {
	if _, err := PermissionsOf(role); err != nil {
		return err
	}
	if u.keys == nil {
		u.keys = map[string]nkeys.KeyPair{}
	}
	u.keys[role] = kp
	return nil
}

// Roles are the users' roles, sorted.
func (u *Users) Roles() []string {
	roles := make([]string, 0, len(u.keys))
	for r := range u.keys {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	return roles
}

// ConnectOptions authenticate a connection as role's user, with the role's inbox prefix.
func (u *Users) ConnectOptions(role string) ([]nats.Option, error) {
	kp, ok := u.keys[role]
	if !ok {
		return nil, fmt.Errorf("no NATS user for role %s", role)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("public key of NATS role %s: %w", role, err)
	}
	return []nats.Option{nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(InboxPrefix(role))}, nil
}

// ServerUsers are the users of the global account as nats-server configures them, with
// their permissions: every role's but RoleSystem's, which WriteServerConfig puts in the
// system account.
func (u *Users) ServerUsers() ([]*server.NkeyUser, error) {
	var out []*server.NkeyUser
	for _, role := range u.globalRoles() {
		su, err := u.serverUser(role)
		if err != nil {
			return nil, err
		}
		out = append(out, su)
	}
	return out, nil
}

// globalRoles are the roles of the global account's users, sorted.
func (u *Users) globalRoles() []string {
	return slices.DeleteFunc(u.Roles(), func(r string) bool { return r == RoleSystem })
}

func (u *Users) serverUser(role string) (*server.NkeyUser, error) {
	p, err := PermissionsOf(role)
	if err != nil {
		return nil, err
	}
	pub, err := u.keys[role].PublicKey()
	if err != nil {
		return nil, fmt.Errorf("public key of NATS role %s: %w", role, err)
	}
	perms := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: p.Publish},
		Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
	}
	if p.Responses {
		perms.Response = &server.ResponsePermission{MaxMsgs: server.DEFAULT_ALLOW_RESPONSE_MAX_MSGS, Expires: server.DEFAULT_ALLOW_RESPONSE_EXPIRATION}
	}
	return &server.NkeyUser{Nkey: pub, Permissions: perms}, nil
}

// WriteServerConfig writes a nats-server configuration with JetStream and the users: paste
// it into (or include it from) the server's configuration. storeDir may be empty.
func (u *Users) WriteServerConfig(w io.Writer, storeDir string) error {
	var b strings.Builder
	b.WriteString("# NATS users of Dray, one per role (dray nats config; see pkg/bus/README.md).\n")
	b.WriteString("# Each service connects with its role's nkey seed: --nats-nkey or $DRAY_NATS_NKEY.\n")
	if storeDir != "" {
		fmt.Fprintf(&b, "jetstream {\n  store_dir: %s\n}\n", strconv.Quote(storeDir))
	} else {
		b.WriteString("jetstream {}\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return u.WriteAuthorization(w)
}

// WriteAuthorization writes only the authorization block of WriteServerConfig (the users and
// their permissions; with a RoleSystem user, the system account that holds it), for a server
// configuration of one's own to include at its top level: the Helm chart's NATS StatefulSet
// includes it from a Secret (docs/deploy.md). The embedded server (StartEmbedded) has no
// RoleSystem user: dray up closes connections in process.
func (u *Users) WriteAuthorization(w io.Writer) error {
	users, err := u.ServerUsers()
	if err != nil {
		return err
	}
	sys, err := u.systemUser()
	if err != nil {
		return err
	}
	var b strings.Builder
	if sys != nil {
		b.WriteString("# The gateway's user in the system account: it disconnects the NATS connections of a\n")
		b.WriteString("# revoked API token at once (--nats-system-nkey), and may do nothing else.\n")
		fmt.Fprintf(&b, "system_account: %s\naccounts {\n  %s {\n    users: [\n", SystemAccount, SystemAccount)
		writeUser(&b, "      ", RoleSystem, sys)
		b.WriteString("    ]\n  }\n}\n")
	}
	b.WriteString("authorization {\n  users: [\n")
	for i, su := range users {
		writeUser(&b, "    ", u.globalRoles()[i], su)
	}
	b.WriteString("  ]\n")
	ac, err := u.ServerCallout()
	if err != nil {
		return err
	}
	if ac != nil {
		b.WriteString("  # API tokens connect through the gateway's auth callout (dray token create --nats);\n")
		b.WriteString("  # the users above bypass it. The gateway signs its answers with --nats-callout-seed.\n")
		fmt.Fprintf(&b, "  auth_callout {\n    issuer: %s\n    account: %s\n    auth_users: %s\n",
			strconv.Quote(ac.Issuer), strconv.Quote(ac.Account), quoteList(ac.AuthUsers))
		if ac.XKey != "" {
			b.WriteString("    # requests encrypted to the gateway's --nats-callout-xkey\n")
			fmt.Fprintf(&b, "    xkey: %s\n", strconv.Quote(ac.XKey))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// writeUser writes su, the user of role, as an element of a users list indented by in.
func writeUser(b *strings.Builder, in, role string, su *server.NkeyUser) {
	fmt.Fprintf(b, "%s# %s\n%s{\n%s  nkey: %s\n%s  permissions: {\n", in, role, in, in, su.Nkey, in)
	fmt.Fprintf(b, "%s    publish: { allow: %s }\n", in, quoteList(su.Permissions.Publish.Allow))
	fmt.Fprintf(b, "%s    subscribe: { allow: %s }\n", in, quoteList(su.Permissions.Subscribe.Allow))
	if su.Permissions.Response != nil {
		fmt.Fprintf(b, "%s    allow_responses: true\n", in)
	}
	fmt.Fprintf(b, "%s  }\n%s}\n", in, in)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// SeedFile is where a role's nkey seed is kept in dir.
func SeedFile(dir, role string) string { return filepath.Join(dir, role+".nk") }

// CalloutSeedFile is where dray nats config keeps the auth callout's account seed in dir.
func CalloutSeedFile(dir string) string { return filepath.Join(dir, "callout.nk") }

// CalloutXKeyFile is where dray nats config keeps the seed of the curve key the server
// encrypts auth callout requests to (Users.UseCalloutXKey), beside CalloutSeedFile.
func CalloutXKeyFile(dir string) string { return filepath.Join(dir, "callout-xkey.nk") }

// EnsureCalloutXKey reads the curve key seed of path, or makes one there (mode 0600).
func EnsureCalloutXKey(path string) (nkeys.KeyPair, error) {
	return ensureSeed(path, nkeys.CreateCurveKeys)
}

// EnsureSeed reads the nkey seed of path, or makes a user's there (mode 0600) if there is none.
func EnsureSeed(path string) (nkeys.KeyPair, error) { return ensureSeed(path, nkeys.CreateUser) }

// EnsureCalloutSeed reads the account seed of path, or makes one there (mode 0600): the key
// that signs the auth callout's answers (Users.UseCallout).
func EnsureCalloutSeed(path string) (nkeys.KeyPair, error) {
	return ensureSeed(path, nkeys.CreateAccount)
}

// ReadSeed reads the nkey seed of path.
func ReadSeed(path string) (nkeys.KeyPair, error) {
	seed, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read nkey seed: %w", err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return nil, fmt.Errorf("nkey seed %s: %w", path, err)
	}
	return kp, nil
}

func ensureSeed(path string, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, error) {
	seed, err := os.ReadFile(path)
	if err == nil {
		kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
		if err != nil {
			return nil, fmt.Errorf("nkey seed %s: %w", path, err)
		}
		return kp, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read nkey seed: %w", err)
	}
	kp, err := create()
	if err != nil {
		return nil, fmt.Errorf("make an nkey: %w", err)
	}
	seed, err = kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("make an nkey: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("write nkey seed: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write nkey seed: %w", err)
	}
	_, err = f.Write(append(seed, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write nkey seed %s: %w", path, err)
	}
	return kp, nil
}
