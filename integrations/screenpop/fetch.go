package screenpop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ErrForbiddenAddress says a URL's host resolves to an address the fetcher
// may not reach (loopback, link-local, unspecified or multicast).
var ErrForbiddenAddress = errors.New("screenpop: address not allowed (loopback or link-local); toolbar.fetch_allow_loopback allows it")

// Fetcher GETs screen pop URLs for CRMs that take the pop as a request.
// Unless allowed, it refuses to connect to loopback and link-local
// addresses, checked on the address it actually dials (after DNS, and
// after every redirect), so that a screen pop template cannot reach ccd's
// own host or a cloud metadata service.
type Fetcher struct {
	client *http.Client
}

// maxBody is how much of an answer is read (and thrown away) so that the
// connection can be reused; a CRM sending more is cut off.
const maxBody = 64 << 10

// NewFetcher returns a fetcher whose requests take at most timeout each.
func NewFetcher(timeout time.Duration, allowLoopback bool) *Fetcher {
	d := &net.Dialer{Timeout: timeout}
	if !allowLoopback {
		d.Control = refuseLocal
	}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4,
		TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout}
	return &Fetcher{client: &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("screenpop: more than 3 redirects")
			}
			return nil
		}}}
}

func refuseLocal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || Forbidden(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

// Forbidden tells the addresses a fetcher refuses by default.
func Forbidden(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		ip.IsMulticast() || ip.IsInterfaceLocalMulticast()
}

// Get requests url once; key goes in Idempotency-Key, so that a CRM can drop
// a repeat (after a crash between the request and its record). It returns
// the HTTP status; an error for no answer.
func (f *Fetcher) Get(ctx context.Context, url, key string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "ccd-screenpop")
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return resp.StatusCode, nil
}
