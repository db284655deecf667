package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
)

func TestReadyzReasonsOnlyForIntegrationToken(t *testing.T) {
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	s.AddCheck(api.Check{Name: "database", Func: func(context.Context) error { return errors.New("dial tcp 10.1.2.3:5432: refused") }})
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + apitest.IntegrationToken} {
		code, _, raw := apitest.DoAuth(t, s, "GET", "/readyz", auth)
		if code != 503 || strings.Contains(raw, "10.1.2.3") || !strings.Contains(raw, `"name":"database","ok":false`) {
			t.Fatalf("readyz with %q: %d %s", auth, code, raw)
		}
	}
	code, _, raw := apitest.DoAuth(t, s, "GET", "/readyz", "bearer "+apitest.IntegrationToken)
	if code != 503 || !strings.Contains(raw, "10.1.2.3") {
		t.Fatalf("readyz for the integration token: %d %s", code, raw)
	}
}

func TestErrorShapeForUnknownRoutesAndMethods(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	s.Echo.POST("/bind", func(c echo.Context) error { var v map[string]string; return c.Bind(&v) })
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nowhere", 404, ccd.ENOTFOUND},
		{"POST", "/healthz", 405, ccd.EMETHOD},
		{"DELETE", "/readyz", 405, ccd.EMETHOD},
		{"POST", "/bind", 415, "unsupported_media_type"},
	} {
		ctype := ""
		body := ""
		if tc.status == 415 {
			ctype, body = "text/csv", "a,b"
		}
		code, m, raw := apitest.Do(t, s, tc.method, tc.path, apitest.IntegrationToken, ctype, body)
		e, _ := m["error"].(map[string]any)
		if code != tc.status || e["code"] != tc.code || e["message"] == "" {
			t.Fatalf("%s %s: %d %s, want %d with code %s", tc.method, tc.path, code, raw, tc.status, tc.code)
		}
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	s, _ := apitest.NewAgentServer(t)
	q := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/healthz", ""},
		{"GET", "/nowhere", ""},
		{"POST", "/api/v1/login", apitest.LoginBody("1001", "alice-pw")},
		{"POST", "/api/v1/login", apitest.LoginBody("1001", "wrong")},
		{"GET", "/api/agents/1001", ""},
		{"GET", "/AgentServices.asmx/CheckExtensionState?" + q.Encode(), ""},
	} {
		_, _, raw, h := apitest.DoFrom(t, s, apitest.AddrA, tc.method, tc.path, apitest.IntegrationToken, "application/json", tc.body)
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s %s: headers %v (%s)", tc.method, tc.path, h, raw)
		}
	}
}

// countingBody is a request body of n zero bytes that counts what is read.
type countingBody struct {
	mu         sync.Mutex
	left, read int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	clear(p[:n])
	b.left -= n
	b.read += n
	return int(n), nil
}

func TestHugeBodiesAreRefusedUnread(t *testing.T) {
	const limit = 64 << 10
	s := api.NewServer(nil, nil, api.Options{MaxBodyBytes: limit, Token: apitest.IntegrationToken})
	f := apitest.NewFakeAgents()
	apitest.MountAgents(s, f, api.AgentAuth{Passwords: map[string]string{"1001": "alice-pw"}}, apitest.Optimus)
	const huge = 200 << 20
	for _, tc := range []struct {
		name, path, ctype string
		declared          bool
	}{
		{"declared length", "/api/v1/login", "application/json", true},
		{"chunked", "/api/v1/login", "application/json", false},
		{"optimus form", "/AgentServices.asmx/LOGIN", "application/x-www-form-urlencoded", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &countingBody{left: huge}
			req := httptest.NewRequest("POST", tc.path, body)
			req.Header.Set("Content-Type", tc.ctype)
			req.ContentLength = -1
			if tc.declared {
				req.ContentLength = huge
			}
			rec := httptest.NewRecorder()
			s.Echo.ServeHTTP(rec, req)
			if rec.Code != 413 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if body.read > limit+64<<10 {
				t.Fatalf("read %d bytes of a body over the %d limit", body.read, limit)
			}
			if tc.declared && body.read != 0 {
				t.Fatalf("read %d bytes of a body declared too large", body.read)
			}
			if strings.HasPrefix(tc.path, "/AgentServices") {
				if !strings.Contains(rec.Body.String(), `<string xmlns="http://tempuri.org/">ERROR: body: `) {
					t.Fatalf("AgentServices answer %s", rec.Body)
				}
				return
			}
			var m map[string]map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["error"]["code"] != ccd.ETOOLARGE || m["error"]["field"] != "body" {
				t.Fatalf("answer %s", rec.Body)
			}
		})
	}
	// The default limit is 1 MiB.
	d := api.New(nil, nil)
	d.Echo.POST("/echo", func(c echo.Context) error { return c.NoContent(204) })
	for size, want := range map[int]int{1 << 20: 204, 1<<20 + 1: 413} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/echo", strings.NewReader(strings.Repeat("a", size)))
		req.Header.Set("Content-Type", "text/plain")
		d.Echo.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("%d-byte body: %d, want %d", size, rec.Code, want)
		}
	}
}

// serve runs s on a loopback port until the test ends.
func serve(t *testing.T, s *api.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeListener(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

func TestSlowBodyIsCutOff(t *testing.T) {
	s := api.NewServer(nil, nil, api.Options{ReadTimeout: 300 * time.Millisecond})
	apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{Passwords: map[string]string{"1001": "alice-pw"}}, optimus.Credentials{})
	addr := serve(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 200
	fmt.Fprintf(conn, "POST /api/v1/login HTTP/1.1\r\nHost: ccd\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
	// One byte every 25 ms: the whole body would take 5 s.
	sent := make(chan int, 1)
	go func() {
		n := 0
		for ; n < size; n++ {
			if _, err := conn.Write([]byte{' '}); err != nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		sent <- n
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = conn.SetDeadline(time.Now()) // stop the writer
	if n := <-sent; resp.StatusCode != http.StatusRequestTimeout || n >= size {
		t.Fatalf("slow body: HTTP %d %s after %d of %d bytes", resp.StatusCode, body, n, size)
	}
}

// A long answer that keeps flowing outlives both the read timeout (the
// request's context stays alive) and the write timeout (each write extends
// it), as a month of statistics exported as CSV does.
func TestLongAnswerOutlivesTimeouts(t *testing.T) {
	s := api.NewServer(nil, nil, api.Options{ReadTimeout: 200 * time.Millisecond, WriteTimeout: time.Second})
	const lines = 25
	s.Echo.GET("/export", func(c echo.Context) error {
		c.Response().WriteHeader(200)
		for i := range lines {
			fmt.Fprintf(c.Response(), "row %d\n", i)
			c.Response().Flush()
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Fprintf(c.Response(), "context: %v\n", c.Request().Context().Err())
		return nil
	})
	addr := serve(t, s)
	resp, err := http.Get("http://" + addr + "/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || strings.Count(string(body), "row ") != lines || !strings.Contains(string(body), "context: <nil>") {
		t.Fatalf("export: %v\n%s", err, body)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ccd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSServesHTTPS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	s := api.NewServer(nil, nil, api.Options{TLSCertFile: certFile, TLSKeyFile: keyFile})
	addr := serve(t, s)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("HTTPS /healthz: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}
}

// syncBuffer is a log sink the server goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestWarnsWhenPlainHTTPLeavesLoopback(t *testing.T) {
	certFile, keyFile, _ := writeCert(t)
	for _, tc := range []struct {
		name, listen string
		tls, warn    bool
	}{
		{"loopback", "127.0.0.1:0", false, false},
		{"all interfaces", "0.0.0.0:0", false, true},
		{"all interfaces with TLS", "0.0.0.0:0", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			opts := api.Options{}
			if tc.tls {
				opts.TLSCertFile, opts.TLSKeyFile = certFile, keyFile
			}
			s := api.NewServer(slog.New(slog.NewTextHandler(&logs, nil)), nil, opts)
			ln, err := net.Listen("tcp", tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // ServeListener logs before serving, then shuts down
			if err := s.ServeListener(ctx, ln); err != nil {
				t.Fatal(err)
			}
			if warned := strings.Contains(logs.String(), "without TLS"); warned != tc.warn {
				t.Fatalf("warned %v, want %v: %s", warned, tc.warn, logs.String())
			}
		})
	}
}

func multipartBody(t *testing.T, fields map[string]string) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.String()
}

func TestEdgeRefusesBadText(t *testing.T) {
	s, f := apitest.NewAgentServer(t)
	s.Echo.POST("/probe/:name", func(c echo.Context) error { return c.NoContent(204) })
	_, m, _ := apitest.Do(t, s, "POST", "/api/v1/login", "", "application/json", apitest.LoginBody("1001", "alice-pw"))
	agentToken := m["token"].(string)
	if code, _, raw := apitest.Do(t, s, "POST", "/api/v1/asterisk_login/", agentToken, "", ""); code != 200 {
		t.Fatalf("login %d %s", code, raw)
	}
	mpType, mpBody := multipartBody(t, map[string]string{"ok": "fine", "note": "bell\a"})
	optimusForm := url.Values{"webServiceUserName": {"ws"}, "password": {"ws-pw"}, "Username": {"1001"}, "activityCode": {"x\x00y"}}
	for _, tc := range []struct {
		name, method, path, token, ctype, body string
		field                                  string
	}{
		{"OMniLeads pause_id NUL", "POST", "/api/v1/asterisk_pause/", agentToken, "application/json", `{"pause_id":"x\u0000y"}`, "pause_id"},
		{"OMniLeads pause_id invalid UTF-8", "POST", "/api/v1/asterisk_pause/", agentToken, "application/json", "{\"pause_id\":\"\xff\xfe\"}", "pause_id"},
		{"OMniLeads pause_id as form", "POST", "/api/v1/asterisk_pause/", agentToken, "application/x-www-form-urlencoded", "pause_id=x%00y", "pause_id"},
		{"ccd activity NUL", "POST", "/api/agents/1001/not_ready", apitest.IntegrationToken, "application/json", `{"activity":"x\u0000y"}`, "activity"},
		{"ccd activity control", "POST", "/api/agents/1001/not_ready", apitest.IntegrationToken, "application/json", `{"activity":"a\u001bb"}`, "activity"},
		{"ccd activity JSON sent as text", "POST", "/api/agents/1001/not_ready", apitest.IntegrationToken, "text/plain", `{"activity":"x\u0000y"}`, "activity"},
		{"Optimus activityCode form", "POST", "/AgentServices.asmx/NOT%20READY", "", "application/x-www-form-urlencoded", optimusForm.Encode(), "activityCode"},
		{"Optimus activityCode query", "GET", "/AgentServices.asmx/NOT%20READY?" + optimusForm.Encode(), "", "", "", "activityCode"},
		{"query value", "GET", "/api/agents/1001?x=%00", apitest.IntegrationToken, "", "", "x"},
		{"query invalid UTF-8", "GET", "/api/agents/1001?agent=%ff%fe", apitest.IntegrationToken, "", "", "agent"},
		{"query not decodable", "GET", "/api/agents/1001?x=%zz", apitest.IntegrationToken, "", "", "query"},
		{"path parameter NUL", "GET", "/api/agents/10%0001", apitest.IntegrationToken, "", "", "id"},
		{"path parameter invalid UTF-8", "GET", "/api/agents/%c3%28", apitest.IntegrationToken, "", "", "id"},
		{"nested JSON", "POST", "/probe/a", "", "application/json", `{"a":{"b":[1,"ok",{"c":"x\u0000"}]}}`, "a.b[2].c"},
		{"JSON array", "POST", "/probe/a", "", "application/json", `["ok","\u0085"]`, "[1]"},
		{"JSON key", "POST", "/probe/a", "", "application/json", `{"k\u0000":1}`, `k\x00`},
		{"multipart", "POST", "/probe/a", "", mpType, mpBody, "note"},
		{"other body", "POST", "/probe/a", "", "text/plain", "a\x00b", "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.Requests())
			code, m, raw := apitest.Do(t, s, tc.method, tc.path, tc.token, tc.ctype, tc.body)
			if code != 400 {
				t.Fatalf("status %d, want 400: %s", code, raw)
			}
			if strings.HasPrefix(tc.path, "/AgentServices") {
				if !strings.Contains(raw, `<string xmlns="http://tempuri.org/">ERROR: `+tc.field+": contains a NUL byte</string>") {
					t.Fatalf("AgentServices answer %s", raw)
				}
			} else if e, _ := m["error"].(map[string]any); e["code"] != ccd.EINVALID || e["field"] != tc.field {
				t.Fatalf("error %s, want field %s", raw, tc.field)
			}
			if len(f.Requests()) != before {
				t.Fatalf("the agent control was called: %v", f.Requests()[before:])
			}
		})
	}
	// Clean texts pass, UTF-8 beyond ASCII included.
	if code, _, raw := apitest.Do(t, s, "POST", "/api/v1/asterisk_pause/", agentToken, "application/json", `{"pause_id":"Mittagspause ☕"}`); code != 200 {
		t.Fatalf("clean pause: %d %s", code, raw)
	}
	if code, _, raw := apitest.Do(t, s, "POST", "/probe/Zo%C3%AB", "", "application/json", `{"a":[{"b":"Zoë"}],"n":1e999,"t":true,"z":null}`); code != 204 {
		t.Fatalf("clean probe: %d %s", code, raw)
	}
}
