package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeKeyPair writes a self-signed certificate and its key as PEM files.
func writeKeyPair(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ccd"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestAPILimitsHaveDefaults(t *testing.T) {
	c, err := Load(writeFile(t, minimal), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := c.API
	if a.MaxBodyBytes != 1<<20 || a.ReadHeaderTimeout <= 0 || a.ReadTimeout <= 0 || a.WriteTimeout <= 0 || a.IdleTimeout <= 0 ||
		a.MaxSessions <= 0 || a.LoginMaxFailures <= 0 || a.LoginWindow <= 0 || a.TLSCertFile != "" {
		t.Fatalf("api defaults %+v", a)
	}
}

func TestAPIKeysAreValidated(t *testing.T) {
	cert, key := writeKeyPair(t)
	otherCert, _ := writeKeyPair(t)
	missing := filepath.Join(t.TempDir(), "nope.pem")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" means valid
	}{
		{"tls pair", map[string]string{"CCD_API_TLS_CERT_FILE": cert, "CCD_API_TLS_KEY_FILE": key}, ""},
		{"cert without key", map[string]string{"CCD_API_TLS_CERT_FILE": cert}, "api.tls_key_file (env CCD_API_TLS_KEY_FILE): is required"},
		{"key without cert", map[string]string{"CCD_API_TLS_KEY_FILE": key}, "api.tls_cert_file (env CCD_API_TLS_CERT_FILE): is required"},
		{"unreadable key", map[string]string{"CCD_API_TLS_CERT_FILE": cert, "CCD_API_TLS_KEY_FILE": missing}, "api.tls_key_file (env CCD_API_TLS_KEY_FILE): cannot be read"},
		{"mismatched pair", map[string]string{"CCD_API_TLS_CERT_FILE": otherCert, "CCD_API_TLS_KEY_FILE": key}, "api.tls_cert_file"},
		{"key as cert", map[string]string{"CCD_API_TLS_CERT_FILE": key, "CCD_API_TLS_KEY_FILE": key}, "api.tls_cert_file"},
		{"tiny body limit", map[string]string{"CCD_API_MAX_BODY_BYTES": "0"}, "api.max_body_bytes"},
		{"no read timeout", map[string]string{"CCD_API_READ_TIMEOUT": "0s"}, "api.read_timeout"},
		{"no write timeout", map[string]string{"CCD_API_WRITE_TIMEOUT": "-1s"}, "api.write_timeout"},
		{"no sessions", map[string]string{"CCD_API_MAX_SESSIONS": "0"}, "api.max_sessions"},
		{"no login failures", map[string]string{"CCD_API_LOGIN_MAX_FAILURES": "0"}, "api.login_max_failures"},
		{"no login window", map[string]string{"CCD_API_LOGIN_WINDOW": "0s"}, "api.login_window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(writeFile(t, minimal), envMap(tc.env))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && c.API.TLSCertFile != cert:
				t.Fatalf("tls_cert_file %q", c.API.TLSCertFile)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

func TestAgentEmailIsRead(t *testing.T) {
	c, err := Load(writeFile(t, minimal+"acd:\n  agents:\n    - {id: \"1001\", name: A B, email: a@example.com}\n"), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ACD.Agents[0].Email != "a@example.com" {
		t.Fatalf("email %q", c.ACD.Agents[0].Email)
	}
}

func TestStarterShowsOptimusAndTLSKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ccd.yaml")
	if err := WriteStarter(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"# optimus_user:", "# optimus_password:", "# tls_cert_file:", "# tls_key_file:", "  admin_token: "} {
		if !strings.Contains(string(b), key) {
			t.Errorf("starter ccd.yaml lacks %q", key)
		}
	}
}
