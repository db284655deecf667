package config

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// WriteStarter writes a configuration file with freshly generated ARI and AMI
// secrets to path, refusing to overwrite an existing file. It is how a first run gets
// credentials without ccd shipping any.
func WriteStarter(path string) error {
	ariPass, err := randomSecret()
	if err != nil {
		return err
	}
	amiSecret, err := randomSecret()
	if err != nil {
		return err
	}
	apiToken, err := randomSecret()
	if err != nil {
		return err
	}
	agentPass, err := randomSecret()
	if err != nil {
		return err
	}
	adminToken, err := randomSecret()
	if err != nil {
		return err
	}
	d := Default()
	body := fmt.Sprintf(`# ccd configuration. Every key can be overridden by the environment:
# ari.password is CCD_ARI_PASSWORD, database.url is CCD_DATABASE_URL, and so on.
# Run "ccd asterisk-config" to print the Asterisk snippets that match this file.

listen: %q
# state_dir: %q

log:
  level: info     # debug, info, warn, error
  format: text    # text or json

database:
  # Empty: ccd starts a private PostgreSQL cluster under state_dir.
  url: ""

ari:
  url: %q
  username: ccd
  password: %q
  application: %q

ami:
  addr: %q
  username: ccd
  secret: %q

pbx:
  # Numbers of the extensions on this PBX; all others are external.
  internal_numbers: %q
  time_zone: %q

api:
  # Bearer token for integrations (CRMs, toolbars): Authorization: Bearer <token>.
  token: %q
  # Bearer token for administrators: the admin API (/api/admin/...) changes
  # queues, agents, groups, routes and activities while ccd runs.
  admin_token: %q
  # Optimus AgentServices (/AgentServices.asmx/...): the webServiceUserName and
  # password legacy clients send; both or neither (neither: interface off).
  # optimus_user: ""
  # optimus_password: ""
  # HTTPS without a proxy in front: PEM certificate and key, both or neither.
  # tls_cert_file: /etc/ccd/tls/cert.pem
  # tls_key_file: /etc/ccd/tls/key.pem

acd:
  # The routes, queues, groups, agents and activities below fill ccd's database
  # at the first start; from then on the database holds them and the admin API
  # changes them (this file no longer does: "ccd config import" copies it again).
  # Calls that match no route go here (an extension of the caller's context);
  # empty: back to the dialplan after Stasis().
  default_extension: ""
  # Where callers sent out of ccd (transfer or overflow to a number, the default
  # extension) continue; "ccd asterisk-config" prints an example of this context.
  transfer_context: ccd-transfer
  recording_name: "{date}-{queue}-{callid}"
  # Agents log in at their own endpoint(s) (agents[].endpoint, endpoints) and,
  # if listed here, at any free extension of these (hot desks), dialled as
  # extension_endpoint. The integration token may name any endpoint.
  # extension_endpoint: "PJSIP/{extension}"
  # extensions: "1000-1999"
  routes:
    - dnis: "^.*$"          # every dialled number; put exact numbers first
      queue: support
      priority: 5
  queues:
    - code: support
      name: Support
      skills: {support: 1}
      ring_timeout: 15s
      wrap_up: 10s
      announce_every: 60s
      service_level: 20s
      record: true
  agents:
    - id: "1001"
      name: First Agent
      endpoint: PJSIP/1001  # more it may use: endpoints: [Local/1001@agents]
      password: %q   # for POST /api/v1/login; remove to allow token-only control
      skills: {support: 5}
`, d.Listen, d.StateDir, d.ARI.URL, ariPass, d.ARI.Application, d.AMI.Addr, amiSecret, d.PBX.InternalNumbers, d.PBX.TimeZone,
		apiToken, adminToken, agentPass)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return fmt.Errorf("config: %w", err)
	}
	return f.Close()
}

func randomSecret() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("config: generating a secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
