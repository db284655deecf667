package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrForbiddenTarget says a subscription's URL leads to an address ccd does
// not send to: loopback, link-local, private or otherwise internal, unless
// the admin allowed its network (webhooks.allow_networks).
var ErrForbiddenTarget = errors.New("webhook: target address not allowed")

// Policy decides which addresses a subscription may reach.
type Policy struct {
	Allow []netip.Prefix // internal networks the admin allows anyway
}

// special networks the address predicates of netip do not cover.
var internalNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Allowed reports whether ip may be reached.
func (p Policy) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, n := range p.Allow {
		if n.Contains(ip) {
			return true
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return false
	}
	for _, n := range internalNets {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckURL refuses a URL whose host is an IP address the policy forbids (a
// name is checked when ccd connects, against every address it resolves to).
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !p.Allowed(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ip)
	}
	if u.Hostname() == "localhost" && !p.Allowed(netip.MustParseAddr("127.0.0.1")) {
		return fmt.Errorf("%w: localhost", ErrForbiddenTarget)
	}
	return nil
}

// control runs after the name is resolved and before the connection is
// made: the address checked is the one connected to, so a name that
// resolves to an internal address (or changes to one after the URL was
// accepted) is refused too.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
	}
	if !p.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ap.Addr())
	}
	return nil
}

// Client returns the HTTP client the deliverer sends with: every connection
// checked by the policy, no proxy (it would hide the target from the
// check), redirects not followed (a 3xx is the receiver's answer), timeout
// per attempt.
func (p Policy) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
