package flow

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Fetcher makes the HTTP modules' and identification's requests. It is the
// I/O edge of the flows: the engine says what to ask, the Fetcher asks and
// reports an HTTPResult.
type Fetcher struct {
	Client *http.Client
	// MaxBody is the largest answer read (default 64 KiB); a longer one is a
	// failure, and ccd stops reading it.
	MaxBody int64
}

// DefaultMaxBody is Fetcher.MaxBody's default: modules answer a number, a
// name or a few key=value pairs.
const DefaultMaxBody = 64 << 10

// NewFetcher returns a Fetcher that follows no redirects (a redirect could
// lead to any host, past the admin's choice) and keeps connections to the
// services open between calls.
func NewFetcher() *Fetcher {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Fetcher{Client: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do makes r for a module whose configured URL is configured; a request
// to another host than the configured one is refused without a connection.
func (f *Fetcher) Do(ctx context.Context, configured string, r *Request) HTTPResult {
	if err := sameOrigin(configured, r.URL); err != nil {
		return HTTPResult{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(r.Timeout, 3*time.Second))
	defer cancel()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return HTTPResult{Err: err}
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	ua := r.UserAgent
	if ua == "" {
		ua = "ccd"
	}
	req.Header.Set("User-Agent", ua)
	resp, err := f.Client.Do(req)
	if err != nil {
		return HTTPResult{Err: describe(err)}
	}
	defer resp.Body.Close()
	limit := f.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return HTTPResult{Err: describe(err)}
	}
	if int64(len(b)) > limit {
		return HTTPResult{Err: fmt.Errorf("the service's answer is longer than %d bytes", limit)}
	}
	return HTTPResult{Status: resp.StatusCode, Body: b}
}

func describe(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("the service did not answer in time")
	}
	return err
}

// sameOrigin checks that a request goes where the admin configured.
func sameOrigin(configured, actual string) error {
	c, err1 := url.Parse(templated.ReplaceAllString(configured, "x"))
	a, err2 := url.Parse(actual)
	if err1 != nil || err2 != nil || c.Scheme != a.Scheme || c.Host != a.Host || c.Path != a.Path || a.User != nil {
		return fmt.Errorf("refused: the request's address differs from the configured one")
	}
	return nil
}
