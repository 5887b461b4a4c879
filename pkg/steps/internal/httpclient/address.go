package httpclient

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// specialRanges are the addresses a step reaches only when the project's allowlist names
// them: they lead to this host (its gateway, NATS and other services listen on loopback), to
// its private networks, or to cloud metadata services (link-local). netip's predicates cover
// loopback, RFC 1918, RFC 4193 (fc00::/7), link-local, multicast and unspecified; these add
// the rest that no public service uses.
var specialRanges = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},        // "this network": 0.0.0.0 is the host itself
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"}, // RFC 6598
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},        // IETF protocol assignments
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},       // benchmarking
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},         // and 255.255.255.255
	{netip.MustParsePrefix("::/96"), "reserved"},               // IPv4-compatible IPv6, :: and ::1 aside
}

// nat64 is the well-known NAT64 prefix (RFC 6052), whose last 32 bits are an IPv4 address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// addressKind says which kind of special address ip is ("loopback", "private",
// "link-local", …), or "" when it is a public one.
func addressKind(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("") // ::ffff:127.0.0.1 is 127.0.0.1
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsPrivate():
		return "private"
	case ip.IsMulticast():
		return "multicast"
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(ip) {
			return r.kind
		}
	}
	return ""
}

// checkAddress refuses a connection for project's request to host (the name or IP literal
// being dialled) at address (the resolved ip:port) when the address is special and the
// project's allowlist does not name it. A link-local address is refused with ErrLinkLocal,
// any other with ErrPrivateAddress; the error names the host, the address and what would
// allow it.
func (o ClientOptions) checkAddress(project, host, address string) error {
	ipText, port, err := net.SplitHostPort(address)
	if err != nil {
		ipText = address
	}
	ip, err := netip.ParseAddr(ipText)
	if err != nil {
		return nil // not an IP address: nothing was resolved, so nothing is dialled
	}
	ip = ip.Unmap().WithZone("")
	kind := addressKind(ip)
	if kind == "" || o.namesAddress(project, host, ip, port) {
		return nil
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if kind == "link-local" {
		return fmt.Errorf("%w: %s (host %s, project %q; an operator allows it by listing the address in the project's --http-allowed-hosts)",
			ErrLinkLocal, ip, host, project)
	}
	allow := net.JoinHostPort(host, port)
	if port == "" {
		allow = host
	}
	article := "a"
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		article = "an"
	}
	what := fmt.Sprintf("%s resolves to %s, %s %s address", host, ip, article, kind)
	if host == ip.String() {
		what = fmt.Sprintf("%s is %s %s address", host, article, kind)
	}
	return fmt.Errorf("%w: %s (project %q; an operator allows it by listing %q, the address or a CIDR that holds it in the project's --http-allowed-hosts)",
		ErrPrivateAddress, what, project, allow)
}

// namesAddress reports whether project's allowlist names the special address ip, dialled
// for host on port: an entry that is ip itself or a CIDR holding it, or an entry that names
// host, each with the port when the entry has one. "*" allows every host name but no special
// address: those must be named.
func (o ClientOptions) namesAddress(project, host string, ip netip.Addr, port string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	for _, entry := range o.allowlist(project) {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if p, err := netip.ParsePrefix(entry); err == nil {
			if p.Contains(ip) {
				return true
			}
			continue
		}
		name, entryPort := splitEntry(entry)
		if entryPort != "" && entryPort != port {
			continue
		}
		if a, err := netip.ParseAddr(name); err == nil {
			if a.Unmap().WithZone("") == ip {
				return true
			}
			continue
		}
		if name != "*" && hostMatches(name, host, "") {
			return true
		}
	}
	return false
}

// allowlist returns project's allowlist entries: its own, else those of "*"; nil when it
// has neither.
func (o ClientOptions) allowlist(project string) []string {
	if allowed, ok := o.AllowedHosts[project]; ok {
		return allowed
	}
	return o.AllowedHosts["*"]
}

// splitEntry splits an allowlist entry into its name and port ("" when it has none).
func splitEntry(entry string) (name, port string) {
	if h, p, err := net.SplitHostPort(entry); err == nil {
		return strings.TrimSuffix(h, "."), p
	}
	return strings.TrimSuffix(strings.Trim(entry, "[]"), "."), ""
}

// checkLiteral checks the host of u when it is an IP literal, before any connection: through
// a proxy the dial goes to the proxy, so the dial's check would not see it.
func (o ClientOptions) checkLiteral(project, scheme, host, port string) error {
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
		return nil
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return o.checkAddress(project, host, net.JoinHostPort(strings.Trim(host, "[]"), port))
}

// dialContext returns a DialContext for project's connections: each address a name
// resolves to is checked (checkAddress) just before the connection is made, so a name that
// resolves to a loopback or private address is caught as much as a literal one, for the
// first request and every redirect alike.
func (o ClientOptions) dialContext(project string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		d := &net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
			Control: func(_, address string, _ syscall.RawConn) error {
				return o.checkAddress(project, host, address)
			},
		}
		return d.DialContext(ctx, network, addr)
	}
}
