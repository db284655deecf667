package optimus_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/integrations/optimus"
	"github.com/ccdhq/ccd/internal/apitest"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/store"
)

// newDialerService is Dialer.asmx over a fresh database, served over HTTP.
func newDialerService(t *testing.T) (*httptest.Server, *store.DB) {
	t.Helper()
	db := pgtest.NewDB(t)
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken})
	agents := apitest.MountAgents(s, apitest.NewFakeAgents(), api.AgentAuth{}, apitest.Optimus)
	optimus.MountDialerService(s, agents, func() (*store.DB, error) { return db, nil }, apitest.Optimus)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, db
}

// soapCall posts a SOAP 1.1 request as an ASMX client (a .NET proxy
// generated from the WSDL) sends it, and returns the status and the body.
func soapCall(t *testing.T, srv *httptest.Server, op string, params [][2]string) (int, string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <` + op + ` xmlns="http://tempuri.org/">
      <userName>ws</userName>
      <password>ws-pw</password>
`)
	for _, p := range params {
		fmt.Fprintf(&b, "      <%s>", p[0])
		_ = xml.EscapeText(&b, []byte(p[1]))
		fmt.Fprintf(&b, "</%s>\n", p[0])
	}
	b.WriteString("    </" + op + ">\n  </soap:Body>\n</soap:Envelope>")
	req, err := http.NewRequest("POST", srv.URL+optimus.DialerServiceRoute, strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"http://tempuri.org/`+op+`"`)
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}

// envelope is a SOAP 1.1 answer: the operation's result or a fault.
type envelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Response *struct {
			XMLName xml.Name
			Result  struct {
				Text       string `xml:",chardata"`
				StatusCode *int   `xml:"http://tempuri.org/ StatusCode"`
				Sum        *int   `xml:"http://tempuri.org/ Sum"`
			} `xml:",any"`
		} `xml:",any"`
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
			Field  string `xml:"detail>error>field"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

func parseEnvelope(t *testing.T, raw string) envelope {
	t.Helper()
	var e envelope
	if err := xml.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatalf("answer is not a SOAP envelope: %v\n%s", err, raw)
	}
	return e
}

// call runs op and returns its result's text, failing on a fault.
func call(t *testing.T, srv *httptest.Server, op string, params ...[2]string) string {
	t.Helper()
	code, raw := soapCall(t, srv, op, params)
	e := parseEnvelope(t, raw)
	if code != 200 || e.Body.Fault != nil || e.Body.Response == nil {
		t.Fatalf("%s: %d %s", op, code, raw)
	}
	if e.Body.Response.XMLName != (xml.Name{Space: "http://tempuri.org/", Local: op + "Response"}) {
		t.Fatalf("%s answered with %v", op, e.Body.Response.XMLName)
	}
	if r := e.Body.Response.Result; r.StatusCode != nil {
		return fmt.Sprintf("%d,%d", *r.StatusCode, *r.Sum)
	}
	return strings.TrimSpace(e.Body.Response.Result.Text)
}

func p(name, value string) [2]string { return [2]string{name, value} }

func TestDialerServiceOverSOAP(t *testing.T) {
	srv, db := newDialerService(t)
	ctx := context.Background()
	campaign := call(t, srv, "AddNewCampaign", p("campaignName", "Renewals"), p("campaignPriority", "1"), p("campaignType", "0"),
		p("retryNumber", "3"), p("noAnswerDuration", "30"), p("chase", "true"), p("queueCode", "sales"), p("callPriority", "4"),
		p("isActive", "false"))
	c, err := db.Campaign(ctx, atoi(t, campaign))
	if err != nil || c.Name != "Renewals" || c.NoAnswerDuration != 30 || !c.Chase || c.QueueCode != "sales" || c.CallPriority != 4 || c.IsActive {
		t.Fatalf("campaign %s stored as %+v, %v", campaign, c, err)
	}
	// UpdateCampaign has no name: the name and ccd's own fields stay.
	if got := call(t, srv, "UpdateCampaign", p("campaignId", campaign), p("campaignPriority", "2"), p("campaignType", "1"),
		p("retryNumber", "5"), p("noAnswerDuration", "20"), p("chase", "false"), p("queueCode", "support"), p("callPriority", "2"),
		p("isActive", "true")); got != "true" {
		t.Fatalf("UpdateCampaign %s", got)
	}
	if c, _ = db.Campaign(ctx, atoi(t, campaign)); c.Name != "Renewals" || c.RetryNumber != 5 || c.QueueCode != "support" || !c.IsActive {
		t.Fatalf("updated campaign %+v", c)
	}
	if got := call(t, srv, "SetCampaignData", p("campaignId", campaign), p("isActive", "false")); got != "true" {
		t.Fatalf("SetCampaignData %s", got)
	}
	if c, _ = db.Campaign(ctx, atoi(t, campaign)); c.IsActive {
		t.Fatal("SetCampaignData left the campaign active")
	}

	if got := call(t, srv, "AddTargetToCampaign", p("campaignId", campaign), p("fName", "Tami"), p("lName", "Cohen"),
		p("phoneI", "0536608810"), p("dataI", "Tami"), p("priority", "0")); got != "true" {
		t.Fatalf("AddTargetToCampaign %s", got)
	}
	if got := call(t, srv, "GetTargetStatus", p("campaignId", campaign), p("phoneI", "0536608810"), p("dataI", "Tami")); got != "0,0" {
		t.Fatalf("GetTargetStatus %s", got)
	}
	if got := call(t, srv, "RemoveTargetFromCampaign", p("campaignId", campaign), p("phone", "0536608810")); got != "true" {
		t.Fatalf("RemoveTargetFromCampaign %s", got)
	}
	if got := call(t, srv, "GetTargetStatus", p("campaignId", campaign), p("phoneI", "0536608810")); got != "13,0" {
		t.Fatalf("GetTargetStatus after the removal %s", got)
	}
	if got := call(t, srv, "RemoveTargetFromCampaign", p("campaignId", campaign), p("phone", "0999")); got != "false" {
		t.Fatalf("RemoveTargetFromCampaign of a number the campaign has not: %s", got)
	}

	sched := call(t, srv, "AddNewSchedule", p("scheduleName", "weekdays"), p("fromDateTime", "2026-03-01T09:00:00"),
		p("toDateTime", "2026-03-31T17:00:00"), p("isSpecialDays", "false"), p("isMonday", "true"), p("isFriday", "true"))
	if got := call(t, srv, "UpdateSchedule", p("scheduleId", sched), p("fromDateTime", "2026-04-01T08:00:00"),
		p("toDateTime", "2026-04-30T18:00:00"), p("isTuesday", "true")); got != "true" {
		t.Fatalf("UpdateSchedule %s", got)
	}
	var name, from string
	var tuesday, monday bool
	if err := db.QueryRow(`SELECT schedule_name, from_date_time::text, is_tuesday, is_monday FROM dialer.schedule WHERE schedule_id=$1`,
		atoi(t, sched)).Scan(&name, &from, &tuesday, &monday); err != nil || name != "weekdays" || from != "2026-04-01 08:00:00" || !tuesday || monday {
		t.Fatalf("updated schedule %s %s %v %v, %v", name, from, tuesday, monday, err)
	}
	if got := call(t, srv, "DeleteSchedule", p("scheduleId", sched)); got != "true" {
		t.Fatalf("DeleteSchedule %s", got)
	}
	if got := call(t, srv, "DeleteCampaign", p("campaignId", campaign)); got != "true" {
		t.Fatalf("DeleteCampaign %s", got)
	}
	var hidden bool
	if err := db.QueryRow(`SELECT hidden FROM dialer.campaign WHERE campaign_id=$1`, atoi(t, campaign)).Scan(&hidden); err != nil || !hidden {
		t.Fatalf("DeleteCampaign: the row is gone or not hidden (%v, %v)", hidden, err)
	}
}

func TestDialerServiceFaultsNameTheParameter(t *testing.T) {
	srv, _ := newDialerService(t)
	campaign := call(t, srv, "AddNewCampaign", p("campaignName", "Renewals"), p("queueCode", "sales"))
	for _, c := range []struct {
		name, op string
		params   [][2]string
		code     int
		field    string
	}{
		{"unknown campaign", "AddTargetToCampaign", [][2]string{p("campaignId", "999"), p("phoneI", "123")}, 404, "campaignId"},
		{"phone with a letter", "AddTargetToCampaign", [][2]string{p("campaignId", campaign), p("phoneI", "05366O8810")}, 400, "phoneI"},
		{"phone with a space", "AddTargetToCampaign", [][2]string{p("campaignId", campaign), p("phoneI", "053 660")}, 400, "phoneI"},
		{"phone too long", "AddTargetToCampaign", [][2]string{p("campaignId", campaign), p("phoneI", "123456789012345678901")}, 400, "phoneI"},
		{"priority 4", "AddTargetToCampaign", [][2]string{p("campaignId", campaign), p("phoneI", "1"), p("priority", "4")}, 400, "priority"},
		{"campaign id not a number", "DeleteCampaign", [][2]string{p("campaignId", "abc")}, 400, "campaignId"},
		{"delete unknown campaign", "DeleteCampaign", [][2]string{p("campaignId", "999")}, 404, "campaignId"},
		{"update unknown campaign", "UpdateCampaign", [][2]string{p("campaignId", "999"), p("queueCode", "sales")}, 404, "campaignId"},
		{"no campaign name", "AddNewCampaign", [][2]string{p("queueCode", "sales")}, 400, "campaignName"},
		{"ring under 15 s", "AddNewCampaign", [][2]string{p("campaignName", "x"), p("queueCode", "sales"), p("noAnswerDuration", "5")}, 400, "noAnswerDuration"},
		{"bad boolean", "SetCampaignData", [][2]string{p("campaignId", campaign), p("isActive", "maybe")}, 400, "isActive"},
		{"schedule ends before it starts", "AddNewSchedule", [][2]string{p("scheduleName", "s"), p("fromDateTime", "2026-03-10T09:00:00"),
			p("toDateTime", "2026-03-01T17:00:00")}, 400, "toDateTime"},
		{"unreadable date", "AddNewSchedule", [][2]string{p("scheduleName", "s"), p("fromDateTime", "yesterday"),
			p("toDateTime", "2026-03-01T17:00:00")}, 400, "fromDateTime"},
		{"unknown schedule", "DeleteSchedule", [][2]string{p("scheduleId", "999")}, 404, "scheduleId"},
		{"unknown parameter", "DeleteSchedule", [][2]string{p("scheduleId", "1"), p("speed", "9")}, 400, "speed"},
		{"no target matches", "GetTargetStatus", [][2]string{p("campaignId", campaign), p("phoneI", "42")}, 404, "phoneI"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, raw := soapCall(t, srv, c.op, c.params)
			e := parseEnvelope(t, raw)
			if code != c.code || e.Body.Fault == nil || e.Body.Fault.Code != "soap:Client" || e.Body.Fault.Field != c.field ||
				!strings.Contains(e.Body.Fault.String, c.field) {
				t.Fatalf("%d %s, want %d and a fault naming %s", code, raw, c.code, c.field)
			}
		})
	}
	// wrong password, no SOAPAction, a SOAPAction for another operation, a DTD
	body := func(op string) string {
		return `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><` + op +
			` xmlns="http://tempuri.org/"><userName>ws</userName><password>nope</password><campaignId>1</campaignId></` + op + `></soap:Body></soap:Envelope>`
	}
	for _, c := range []struct {
		name, action, body string
		code               int
		field              string
	}{
		{"wrong password", `"http://tempuri.org/DeleteCampaign"`, body("DeleteCampaign"), 401, "userName"},
		{"no SOAPAction", "", body("DeleteCampaign"), 400, "SOAPAction"},
		{"SOAPAction of another operation", `"http://tempuri.org/AddNewCampaign"`, body("DeleteCampaign"), 400, "SOAPAction"},
		{"DTD", `"http://tempuri.org/DeleteCampaign"`, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>` + body("DeleteCampaign")[21:], 400, "body"},
		{"not XML", `"http://tempuri.org/DeleteCampaign"`, "<soap:Envelope", 400, "body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+optimus.DialerServiceRoute, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "text/xml; charset=utf-8")
			if c.action != "" {
				req.Header.Set("SOAPAction", c.action)
			}
			code, raw := send(t, req)
			e := parseEnvelope(t, raw)
			if code != c.code || e.Body.Fault == nil || e.Body.Fault.Field != c.field {
				t.Fatalf("%d %s, want %d naming %s", code, raw, c.code, c.field)
			}
		})
	}
}

func TestDialerServiceHTTPBindings(t *testing.T) {
	srv, _ := newDialerService(t)
	q := url.Values{"userName": {"ws"}, "password": {"ws-pw"}, "campaignName": {"Renewals"}, "queueCode": {"sales"},
		"chase": {"True"}, "isActive": {"False"}}
	code, raw := get(t, srv.URL+optimus.DialerServiceRoute+"/AddNewCampaign?"+q.Encode())
	var id struct {
		XMLName xml.Name `xml:"http://tempuri.org/ int"`
		Value   int      `xml:",chardata"`
	}
	if code != 200 || xml.Unmarshal([]byte(raw), &id) != nil || id.Value <= 0 {
		t.Fatalf("GET AddNewCampaign %d %s", code, raw)
	}
	form := url.Values{"userName": {"ws"}, "password": {"ws-pw"}, "campaignId": {fmt.Sprint(id.Value)}, "phoneI": {"0536608810"}}
	resp, err := http.PostForm(srv.URL+optimus.DialerServiceRoute+"/AddTargetToCampaign", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `<boolean xmlns="http://tempuri.org/">true</boolean>`) {
		t.Fatalf("POST AddTargetToCampaign %d %s", resp.StatusCode, b)
	}
	q = url.Values{"userName": {"ws"}, "password": {"ws-pw"}, "campaignId": {fmt.Sprint(id.Value)}, "phoneI": {"0536608810"}}
	code, raw = get(t, srv.URL+optimus.DialerServiceRoute+"/GetTargetStatus?"+q.Encode())
	var st struct {
		XMLName    xml.Name `xml:"http://tempuri.org/ TargetStatus"`
		StatusCode int
		Sum        int
	}
	if code != 200 || xml.Unmarshal([]byte(raw), &st) != nil || st.StatusCode != 0 {
		t.Fatalf("GET GetTargetStatus %d %s", code, raw)
	}
	q.Set("phoneI", "05366O8810")
	if code, raw = get(t, srv.URL+optimus.DialerServiceRoute+"/AddTargetToCampaign?"+q.Encode()); code != 400 || raw != "ERROR: phoneI: contains a letter" {
		t.Fatalf("GET with a bad phone %d %q", code, raw)
	}
	if code, raw = get(t, srv.URL+optimus.DialerServiceRoute+"/Explode?"+q.Encode()); code != 404 || !strings.Contains(raw, "ERROR: op:") {
		t.Fatalf("unknown operation %d %q", code, raw)
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

// The seed's operations (000 §6.1), which the WSDL must list.
var seedOperations = []string{"AddTargetToCampaign", "RemoveTargetFromCampaign", "GetTargetStatus", "SetCampaignData",
	"AddNewCampaign", "UpdateCampaign", "DeleteCampaign", "AddNewSchedule", "UpdateSchedule", "DeleteSchedule"}

type ioMessage struct {
	Message string `xml:"message,attr"`
}

// wsdlDoc is what a SOAP client reads of a WSDL.
type wsdlDoc struct {
	XMLName         xml.Name `xml:"http://schemas.xmlsoap.org/wsdl/ definitions"`
	TargetNamespace string   `xml:"targetNamespace,attr"`
	Elements        []struct {
		Name   string `xml:"name,attr"`
		Params []struct {
			Name string `xml:"name,attr"`
			Type string `xml:"type,attr"`
		} `xml:"complexType>sequence>element"`
	} `xml:"types>schema>element"`
	Messages []struct {
		Name string `xml:"name,attr"`
	} `xml:"message"`
	PortTypes []struct {
		Name       string `xml:"name,attr"`
		Operations []struct {
			Name   string    `xml:"name,attr"`
			Input  ioMessage `xml:"input"`
			Output ioMessage `xml:"output"`
		} `xml:"operation"`
	} `xml:"portType"`
	Bindings []struct {
		Name       string `xml:"name,attr"`
		Type       string `xml:"type,attr"`
		Operations []struct {
			Name string `xml:"name,attr"`
			Soap *struct {
				Action string `xml:"soapAction,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
		} `xml:"operation"`
	} `xml:"binding"`
	Ports []struct {
		Name    string `xml:"name,attr"`
		Binding string `xml:"binding,attr"`
		Soap    *struct {
			Location string `xml:"location,attr"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ address"`
	} `xml:"service>port"`
}

func TestDialerServiceWSDL(t *testing.T) {
	srv, _ := newDialerService(t)
	code, raw := get(t, srv.URL+optimus.DialerServiceRoute+"?WSDL")
	if code != 200 {
		t.Fatalf("?WSDL %d %s", code, raw)
	}
	var w wsdlDoc
	dec := xml.NewDecoder(strings.NewReader(raw))
	dec.Strict = true
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("the WSDL is not well-formed: %v", err)
	}
	if w.TargetNamespace != "http://tempuri.org/" {
		t.Fatalf("targetNamespace %q", w.TargetNamespace)
	}
	messages := map[string]bool{}
	for _, m := range w.Messages {
		messages[m.Name] = true
	}
	elements := map[string][]string{}
	for _, e := range w.Elements {
		for _, p := range e.Params {
			elements[e.Name] = append(elements[e.Name], p.Name)
		}
	}
	var soapOps []string
	for _, pt := range w.PortTypes {
		if pt.Name != "DialerSoap" {
			continue
		}
		for _, op := range pt.Operations {
			soapOps = append(soapOps, op.Name)
			for _, m := range []string{op.Input.Message, op.Output.Message} {
				if !messages[strings.TrimPrefix(m, "tns:")] {
					t.Errorf("%s refers to the missing message %s", op.Name, m)
				}
			}
		}
	}
	if !slices.Equal(soapOps, seedOperations) {
		t.Fatalf("the SOAP port type lists %v, want %v", soapOps, seedOperations)
	}
	// the parameters, with the seed's names, credentials first
	want := map[string][]string{
		"AddTargetToCampaign": {"userName", "password", "campaignId", "fName", "lName", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII", "priority"},
		"GetTargetStatus":     {"userName", "password", "campaignId", "phoneI", "phoneII", "phoneIII", "dataI", "dataII", "dataIII"},
		"AddNewCampaign": {"userName", "password", "campaignName", "campaignPriority", "campaignType", "retryNumber",
			"noAnswerDuration", "chase", "queueCode", "callPriority", "isActive"},
		"AddNewSchedule": {"userName", "password", "scheduleName", "fromDateTime", "toDateTime", "isSpecialDays", "isSunday",
			"isMonday", "isTuesday", "isWednesday", "isThursday", "isFriday", "isSaturday"},
		"RemoveTargetFromCampaign": {"userName", "password", "campaignId", "phone"},
		"DeleteSchedule":           {"userName", "password", "scheduleId"},
	}
	for op, params := range want {
		if !slices.Equal(elements[op], params) {
			t.Errorf("%s takes %v, want %v", op, elements[op], params)
		}
	}
	soapBinding := false
	for _, b := range w.Bindings {
		if b.Name != "DialerSoap" {
			continue
		}
		soapBinding = true
		for _, op := range b.Operations {
			if op.Soap == nil || op.Soap.Action != "http://tempuri.org/"+op.Name {
				t.Errorf("binding operation %s has no soapAction http://tempuri.org/%s", op.Name, op.Name)
			}
		}
	}
	located := false
	for _, p := range w.Ports {
		if p.Name == "DialerSoap" && p.Soap != nil && p.Soap.Location == srv.URL+optimus.DialerServiceRoute {
			located = true
		}
	}
	if !soapBinding || !located {
		t.Fatalf("no SOAP 1.1 binding (%v) or its address is not the service's (%v)", soapBinding, located)
	}
	if code, raw := get(t, srv.URL+optimus.DialerServiceRoute+"?disco"); code != 400 || !strings.Contains(raw, "disco") {
		t.Fatalf("unknown query %d %s", code, raw)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

func TestDialerServiceOverSOAP12(t *testing.T) {
	srv, _ := newDialerService(t)
	envelope := func(op, params string) string {
		return `<?xml version="1.0" encoding="utf-8"?><soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
			`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body><` + op +
			` xmlns="http://tempuri.org/"><userName>ws</userName><password>ws-pw</password>` + params + `</` + op + `></soap12:Body></soap12:Envelope>`
	}
	post := func(op, params string) (int, string, string) {
		req, _ := http.NewRequest("POST", srv.URL+optimus.DialerServiceRoute, strings.NewReader(envelope(op, params)))
		req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="http://tempuri.org/`+op+`"`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	var answer struct {
		Body struct {
			Response struct {
				Result int `xml:"AddNewCampaignResult"`
			} `xml:"http://tempuri.org/ AddNewCampaignResponse"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	code, ctype, raw := post("AddNewCampaign", "<campaignName>Renewals</campaignName><queueCode>sales</queueCode>")
	if code != 200 || !strings.HasPrefix(ctype, "application/soap+xml") || xml.Unmarshal([]byte(raw), &answer) != nil || answer.Body.Response.Result <= 0 {
		t.Fatalf("SOAP 1.2 AddNewCampaign %d %s %s", code, ctype, raw)
	}
	var fault struct {
		Body struct {
			Fault struct {
				Code  string `xml:"Code>Value"`
				Field string `xml:"Detail>error>field"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	code, _, raw = post("DeleteCampaign", "<campaignId>x</campaignId>")
	if code != 400 || xml.Unmarshal([]byte(raw), &fault) != nil || fault.Body.Fault.Code != "soap:Sender" || fault.Body.Fault.Field != "campaignId" {
		t.Fatalf("SOAP 1.2 fault %d %s", code, raw)
	}
}
