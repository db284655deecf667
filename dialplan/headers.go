package dialplan

import (
	"net/url"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/internal/textcheck"
)

// The call data 001 passes in SIP headers, as the channel variables the
// dialplan of HeaderSnippet copies them to: Asterisk cannot read a PJSIP
// header over ARI (and a Local channel has none), but shows the variables
// named in ari.conf's channelvars in every channel of the Stasis events.
var HeaderVars = []struct{ Header, Var string }{
	{"X-Dnis", "CCD_X_DNIS"},
	{"X-Ani", "CCD_X_ANI"},
	{"X-callerId", "CCD_X_CALLERID"},
	{"X-URL", "CCD_X_URL"},
	{"X-Transfer", "CCD_X_TRANSFER"},
	{"X-CallId", "CCD_X_CALLID"},
	{"X-CallCenter", "CCD_X_CALLCENTER"},
	{"X-Skills", "CCD_X_SKILLS"},
	{"X-Record", "CCD_X_RECORD"},
}

// Limits of what a header may carry: the headers come from outside.
const (
	maxHeaderValue = 256
	maxHeaderURL   = 2048
	maxSkills      = 20
)

// CallHeaders is the call data read from a channel's CCD_X_* variables.
type CallHeaders struct {
	Dnis, Ani, CallerIDName, CallCenter string
	// CRM: URL, Transfer, CallId, Skills and Record, as the queue applies
	// Call Start's answer; nil when none of them was given.
	CRM *ccd.CRMCallData
	// Problems are values left out (for the log).
	Problems []string
}

// ReadHeaders reads the call data of a channel's variables. Values are
// trimmed, cleaned of control characters and bounded; a URL that is not
// absolute http(s) is left out.
func ReadHeaders(vars map[string]string) CallHeaders {
	var h CallHeaders
	get := func(name string) string {
		v := strings.TrimSpace(textcheck.Clean(vars[name]))
		if len(v) > maxHeaderValue && name != "CCD_X_URL" {
			h.Problems = append(h.Problems, name+" longer than 256 bytes: left out")
			return ""
		}
		return v
	}
	h.Dnis, h.Ani, h.CallerIDName, h.CallCenter = get("CCD_X_DNIS"), get("CCD_X_ANI"), get("CCD_X_CALLERID"), get("CCD_X_CALLCENTER")
	crm := ccd.CRMCallData{Origin: ccd.CRMOriginSIP, CRMCallID: get("CCD_X_CALLID"), DefaultTransferNumber: get("CCD_X_TRANSFER"),
		Record: strings.EqualFold(get("CCD_X_RECORD"), "Y")}
	if u := get("CCD_X_URL"); u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > maxHeaderURL {
			h.Problems = append(h.Problems, "CCD_X_URL is not an absolute http(s) URL: left out")
		} else {
			crm.URL = u
		}
	}
	for _, s := range strings.Split(get("CCD_X_SKILLS"), ",") {
		if s = strings.TrimSpace(s); s != "" && len(crm.Skills) < maxSkills {
			crm.Skills = append(crm.Skills, s)
		}
	}
	if crm.URL != "" || crm.CRMCallID != "" || crm.DefaultTransferNumber != "" || crm.Record || len(crm.Skills) > 0 {
		h.CRM = &crm
	}
	return h
}

// HeaderSnippet is the dialplan that copies the X- headers of a PJSIP call
// to the CCD_X_* variables before it enters ccd (only PJSIP channels have
// the headers).
func HeaderSnippet(app string) string {
	var b strings.Builder
	b.WriteString(`
; Calls that bring 001's call data in SIP headers (X-Dnis, X-Ani, X-callerId,
; X-URL, X-Transfer, X-CallId, X-CallCenter, X-Skills, X-Record) from an IVR:
; point those PJSIP trunks here. The headers become channel variables that ccd
; reads at StasisStart (ari.conf channelvars).
[ccd-inbound-headers]
`)
	for i, v := range HeaderVars {
		if i == 0 {
			b.WriteString("exten => _X.,1,")
		} else {
			b.WriteString(" same => n,")
		}
		b.WriteString("Set(" + v.Var + "=${PJSIP_HEADER(read," + v.Header + ")})\n")
	}
	b.WriteString(" same => n,Stasis(" + app + ",inbound,${EXTEN})\n same => n,Hangup()\n")
	return b.String()
}

// HeaderChannelVars is ari.conf's channelvars for the header variables.
func HeaderChannelVars() string {
	names := make([]string, len(HeaderVars))
	for i, v := range HeaderVars {
		names[i] = v.Var
	}
	return strings.Join(names, ",")
}
