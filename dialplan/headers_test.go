package dialplan

import (
	"strings"
	"testing"

	"github.com/ccdhq/ccd/config"
)

func TestReadHeaders(t *testing.T) {
	h := ReadHeaders(map[string]string{
		"CCD_X_DNIS": "5550100", "CCD_X_ANI": " 5551234 ", "CCD_X_CALLERID": "Jo\x00e", "CCD_X_URL": "https://crm/pop?id=7&x={Ani}",
		"CCD_X_TRANSFER": "5559000", "CCD_X_CALLID": "CRM-7", "CCD_X_CALLCENTER": "cc2", "CCD_X_SKILLS": "french, vip,,", "CCD_X_RECORD": "y",
	})
	c := h.CRM
	if h.Dnis != "5550100" || h.Ani != "5551234" || strings.ContainsRune(h.CallerIDName, 0) || h.CallCenter != "cc2" || c == nil ||
		c.URL != "https://crm/pop?id=7&x={Ani}" || c.DefaultTransferNumber != "5559000" || c.CRMCallID != "CRM-7" || !c.Record ||
		strings.Join(c.Skills, "|") != "french|vip" || c.Origin != "sip_headers" || len(h.Problems) != 0 {
		t.Fatalf("headers %+v crm %+v", h, c)
	}
	h = ReadHeaders(map[string]string{"CCD_X_URL": "javascript:alert(1)", "CCD_X_TRANSFER": strings.Repeat("9", 300), "CCD_X_RECORD": "N"})
	if h.CRM != nil || len(h.Problems) != 2 {
		t.Fatalf("bad headers: %+v", h)
	}
	if h := ReadHeaders(map[string]string{"OTHER": "x"}); h.CRM != nil || h.Ani != "" {
		t.Fatalf("no headers: %+v", h)
	}
}

// ccd asterisk-config prints the dialplan that copies the X- headers and
// the channelvars that show them to ccd.
func TestSnippetsCopyTheHeaders(t *testing.T) {
	cfg := config.Default()
	cfg.ARI.Application = "ccd"
	out := Snippets(&cfg, FileAgents(&cfg, ""))
	for _, want := range []string{
		"channelvars = CCD_X_DNIS,CCD_X_ANI,CCD_X_CALLERID,CCD_X_URL,CCD_X_TRANSFER,CCD_X_CALLID,CCD_X_CALLCENTER,CCD_X_SKILLS,CCD_X_RECORD",
		"[ccd-inbound-headers]\nexten => _X.,1,Set(CCD_X_DNIS=${PJSIP_HEADER(read,X-Dnis)})\n",
		" same => n,Set(CCD_X_SKILLS=${PJSIP_HEADER(read,X-Skills)})\n",
		" same => n,Set(CCD_X_RECORD=${PJSIP_HEADER(read,X-Record)})\n same => n,Stasis(ccd,inbound,${EXTEN})\n",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("asterisk-config lacks %q:\n%s", want, out)
		}
	}
}
