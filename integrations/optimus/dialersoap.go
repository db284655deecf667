package optimus

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/dialer"
	"github.com/ccdhq/ccd/internal/textcheck"
	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// DialerServiceRoute is the Optimus dialer web service (seed 000 §6.1), an
// ASMX service: SOAP 1.1 (and 1.2) POSTs to the route itself, the WSDL at
// ?WSDL, and the ASMX HTTP GET and POST bindings at DialerServiceRoute/<op>.
const DialerServiceRoute = "/OptimusIntegration/WebServices/Dialer.asmx"

// serviceNS is the ASMX default namespace Optimus clients use.
const serviceNS = "http://tempuri.org/"

// param is one parameter of an operation, with its XML Schema type.
type param struct{ name, xsd string }

// operation is one web method: its parameters after userName and password,
// its result's XML Schema type (boolean, int or the TargetStatus type) and
// what it does.
type operation struct {
	name   string
	params []param
	result string
	run    func(ctx context.Context, db *store.DB, a args) (any, error)
}

// TargetStatus is GetTargetStatus's answer (seed 000 §6.1.3.3).
type TargetStatus struct {
	StatusCode int
	Sum        int
}

var targetParams = []param{{"campaignId", "int"}, {"fName", "string"}, {"lName", "string"}, {"phoneI", "string"},
	{"phoneII", "string"}, {"phoneIII", "string"}, {"dataI", "string"}, {"dataII", "string"}, {"dataIII", "string"},
	{"priority", "int"}}

var matchParams = []param{{"campaignId", "int"}, {"phoneI", "string"}, {"phoneII", "string"}, {"phoneIII", "string"},
	{"dataI", "string"}, {"dataII", "string"}, {"dataIII", "string"}}

// campaignParams are the Optimus campaign fields; queueCode is a string since
// ccd's queue codes are names (an Optimus client's numeric code reads the
// same).
var campaignParams = []param{{"campaignPriority", "int"}, {"campaignType", "int"}, {"retryNumber", "int"},
	{"noAnswerDuration", "int"}, {"chase", "boolean"}, {"queueCode", "string"}, {"callPriority", "int"}, {"isActive", "boolean"}}

var scheduleParams = []param{{"fromDateTime", "dateTime"}, {"toDateTime", "dateTime"}, {"isSpecialDays", "boolean"},
	{"isSunday", "boolean"}, {"isMonday", "boolean"}, {"isTuesday", "boolean"}, {"isWednesday", "boolean"},
	{"isThursday", "boolean"}, {"isFriday", "boolean"}, {"isSaturday", "boolean"}}

func withFirst(first []param, rest []param) []param { return append(slices.Clone(first), rest...) }

// DialerOperations are the web methods, in the seed's order.
var DialerOperations = []operation{
	{name: "AddTargetToCampaign", params: targetParams, result: "boolean", run: soapAddTarget},
	{name: "RemoveTargetFromCampaign", params: []param{{"campaignId", "int"}, {"phone", "string"}}, result: "boolean", run: soapRemoveTarget},
	{name: "GetTargetStatus", params: matchParams, result: "TargetStatus", run: soapTargetStatus},
	{name: "SetCampaignData", params: []param{{"campaignId", "int"}, {"isActive", "boolean"}}, result: "boolean", run: soapSetCampaignData},
	{name: "AddNewCampaign", params: withFirst([]param{{"campaignName", "string"}}, campaignParams), result: "int", run: soapAddCampaign},
	{name: "UpdateCampaign", params: withFirst([]param{{"campaignId", "int"}}, campaignParams), result: "boolean", run: soapUpdateCampaign},
	{name: "DeleteCampaign", params: []param{{"campaignId", "int"}}, result: "boolean", run: soapDeleteCampaign},
	{name: "AddNewSchedule", params: withFirst([]param{{"scheduleName", "string"}}, scheduleParams), result: "int", run: soapAddSchedule},
	{name: "UpdateSchedule", params: withFirst([]param{{"scheduleId", "int"}}, scheduleParams), result: "boolean", run: soapUpdateSchedule},
	{name: "DeleteSchedule", params: []param{{"scheduleId", "int"}}, result: "boolean", run: soapDeleteSchedule},
}

func findOperation(name string) (operation, bool) {
	for _, op := range DialerOperations {
		if strings.EqualFold(op.name, name) {
			return op, true
		}
	}
	return operation{}, false
}

// args are an operation's parameters as sent, by name.
type args map[string]string

func (a args) str(name string) string { return a[name] }

// integer reads an int parameter; absent or empty is 0, as a .NET client
// sends an int it was not given.
func (a args) integer(name string) (int, error) {
	v := a[name]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32) // the columns are PostgreSQL integers
	if err != nil {
		return 0, ccd.Invalid(name, "want a whole number (32 bits), got "+strconv.Quote(v))
	}
	return int(n), nil
}

// boolean reads an xs:boolean (true, false, 1, 0; .NET's True and False).
func (a args) boolean(name string) (bool, error) {
	switch strings.ToLower(a[name]) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, ccd.Invalid(name, "want true or false, got "+strconv.Quote(a[name]))
}

// id reads a required positive id.
func (a args) id(name string) (int, error) {
	if a[name] == "" {
		return 0, ccd.Invalid(name, "is required")
	}
	n, err := a.integer(name)
	if err == nil && n <= 0 {
		err = ccd.Invalid(name, "want a positive whole number")
	}
	return n, err
}

type dialerService struct {
	agents *api.Agents
	db     api.DialerDB
	creds  Credentials
}

// MountDialerService adds the Dialer.asmx web service, authenticated by its
// userName and password parameters against the Optimus web-service
// credentials (api.optimus_user, api.optimus_password; empty: the service is
// off). Errors are 4xx naming the parameter: a SOAP Fault (soap:Client) to a
// SOAP request, "ERROR: <parameter>: <problem>" to the HTTP bindings.
func MountDialerService(s *api.Server, agents *api.Agents, db api.DialerDB, creds Credentials) {
	if creds.User == "" {
		return
	}
	d := &dialerService{agents: agents, db: db, creds: creds}
	s.Echo.GET(DialerServiceRoute, d.describe)
	s.Echo.POST(DialerServiceRoute, d.soap)
	s.Echo.GET(DialerServiceRoute+"/:op", d.httpBinding)
	s.Echo.POST(DialerServiceRoute+"/:op", d.httpBinding)
	s.SetErrorWriter(DialerServiceRoute, writeFault)
	s.SetErrorWriter(DialerServiceRoute+"/:op", writeTextError)
}

// describe answers GET Dialer.asmx?WSDL with the WSDL; any other GET of the
// service is refused naming the query.
func (d *dialerService) describe(c echo.Context) error {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return ccd.Invalid("query", err.Error())
	}
	for name := range q {
		if !strings.EqualFold(name, "wsdl") {
			return ccd.Invalid(name, "unknown parameter; Dialer.asmx takes ?WSDL, or a SOAP POST")
		}
	}
	if len(q) == 0 {
		return ccd.Invalid("query", "GET Dialer.asmx?WSDL for the service description; operations are SOAP POSTs or GET/POST Dialer.asmx/<operation>")
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/xml; charset=utf-8")
	return c.String(http.StatusOK, WSDL(serviceURL(c)))
}

// serviceURL is the service's address as the client reached it.
func serviceURL(c echo.Context) string {
	return (&url.URL{Scheme: c.Scheme(), Host: c.Request().Host, Path: DialerServiceRoute}).String()
}

// authenticate checks userName and password, throttled like every
// credential, and makes the request act with the campaigns role.
func (d *dialerService) authenticate(c echo.Context, a args) error {
	known := api.SameSecret(d.creds.User, a["userName"])
	password := a["password"]
	ok, err := d.agents.CheckSecret(c, "optimus", known, func() bool {
		return known && api.SameSecret(d.creds.Password, password)
	})
	switch {
	case err != nil:
		return err
	case !ok:
		return &ccd.Error{Code: ccd.EUNAUTH, Field: "userName", Message: "invalid userName or password"}
	}
	api.SetPrincipal(c, ccd.Principal{Kind: ccd.Integration, Name: "optimus", Roles: []ccd.Role{ccd.RoleCampaigns}})
	if !api.PrincipalOf(c).Has(ccd.RoleCampaigns) {
		return &ccd.Error{Code: ccd.EFORBIDDEN, Message: "the dialer web service needs the campaigns role"}
	}
	return nil
}

// run checks the parameters against op's, authenticates and runs op.
func (d *dialerService) run(c echo.Context, op operation, a args) (any, error) {
	for name, v := range a {
		if name != "userName" && name != "password" && !slices.ContainsFunc(op.params, func(p param) bool { return p.name == name }) {
			return nil, ccd.Invalid(name, "is not a parameter of "+op.name)
		}
		if p := textcheck.Problem(v); p != "" {
			return nil, ccd.Invalid(name, p)
		}
	}
	if err := d.authenticate(c, a); err != nil {
		return nil, err
	}
	db, err := d.db()
	if err != nil {
		return nil, err
	}
	return op.run(c.Request().Context(), db, a)
}

// httpBinding is the ASMX HTTP GET and POST bindings: the parameters in the
// query or the form, the answer as the bare result element.
func (d *dialerService) httpBinding(c echo.Context) error {
	op, ok := findOperation(c.Param("op"))
	if !ok {
		return &ccd.Error{Code: ccd.ENOTFOUND, Field: "op", Message: "unknown Dialer.asmx operation " + c.Param("op")}
	}
	values, err := c.FormParams() // the query for a GET, the form (and query) for a POST
	if err != nil {
		return ccd.Invalid("body", "want form fields (application/x-www-form-urlencoded)")
	}
	a := args{}
	for name, vs := range values {
		canonical := canonicalName(op, name)
		if _, dup := a[canonical]; dup || len(vs) > 1 {
			return ccd.Invalid(canonical, "is given more than once")
		}
		a[canonical] = vs[0]
	}
	out, err := d.run(c, op, a)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/xml; charset=utf-8")
	return c.String(http.StatusOK, xml.Header+bareResult(op, out))
}

// canonicalName is the parameter's name as the operation spells it: ASMX
// matches the HTTP bindings' names without case.
func canonicalName(op operation, name string) string {
	for _, p := range append([]param{{"userName", "string"}, {"password", "string"}}, op.params...) {
		if strings.EqualFold(p.name, name) {
			return p.name
		}
	}
	return name
}

func bareResult(op operation, out any) string {
	if ts, ok := out.(TargetStatus); ok {
		return fmt.Sprintf(`<TargetStatus xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="%s"><StatusCode>%d</StatusCode><Sum>%d</Sum></TargetStatus>`,
			serviceNS, ts.StatusCode, ts.Sum)
	}
	return fmt.Sprintf(`<%s xmlns="%s">%s</%s>`, op.result, serviceNS, resultText(out), op.result)
}

func resultText(out any) string {
	switch v := out.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(out)
}

// The SOAP envelope namespaces.
const (
	soap11NS = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12NS = "http://www.w3.org/2003/05/soap-envelope"
)

// soapVersion is the envelope namespace of the request, kept for the answer
// and its faults.
const soapVersionKey = "optimus.soap"

// soap is a SOAP request: the operation is the SOAPAction header's (SOAP
// 1.1) or the action of the content type (SOAP 1.2), else the body's
// element, which must agree with it.
func (d *dialerService) soap(c echo.Context) error {
	r := c.Request()
	ns := soap11NS
	c.Set(soapVersionKey, ns)
	mt, mp, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	action := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	switch {
	case err == nil && mt == "text/xml":
	case err == nil && mt == "application/soap+xml":
		ns = soap12NS
		c.Set(soapVersionKey, ns)
		action = strings.Trim(mp["action"], `"`)
	default:
		return ccd.Invalid("Content-Type", "want text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)")
	}
	name, a, err := readEnvelope(r.Body, ns)
	if err != nil {
		return err
	}
	if action != "" {
		want := strings.TrimPrefix(action, serviceNS)
		if !strings.EqualFold(want, name) {
			return ccd.Invalid("SOAPAction", fmt.Sprintf("%q does not match the body's operation %s", action, name))
		}
	} else if ns == soap11NS {
		return ccd.Invalid("SOAPAction", `is required: "`+serviceNS+name+`"`)
	}
	op, ok := findOperation(name)
	if !ok {
		return ccd.Invalid("SOAPAction", "unknown Dialer.asmx operation "+name)
	}
	out, err := d.run(c, op, a)
	if err != nil {
		return err
	}
	return writeEnvelope(c, http.StatusOK, ns, soapResult(op, out))
}

// readEnvelope reads the operation's element in the envelope's body and its
// parameters (child elements holding text; xsi:nil ones are empty). A DTD is
// refused: SOAP forbids them, and a client has no use for one.
func readEnvelope(body io.Reader, ns string) (string, args, error) {
	dec := xml.NewDecoder(body)
	bad := func(msg string) error { return ccd.Invalid("body", msg) }
	depth, op := 0, ""
	a := args{}
	var param string
	var text strings.Builder
	inBody := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil && depth == 4 && inBody {
			// inside a parameter: its value holds what XML cannot carry
			return "", nil, ccd.Invalid(param, "is not XML text: "+err.Error())
		}
		if err != nil {
			return "", nil, bad("is not well-formed XML: " + err.Error())
		}
		switch t := tok.(type) {
		case xml.Directive:
			return "", nil, bad("has a DTD, which SOAP does not allow")
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && (t.Name.Space != ns || t.Name.Local != "Envelope"):
				return "", nil, bad("want a SOAP Envelope in " + ns)
			case depth == 2 && t.Name.Space == ns && t.Name.Local == "Body":
				inBody = true
			case depth == 3 && inBody:
				if op != "" {
					return "", nil, bad("the Body holds more than one operation")
				}
				if t.Name.Space != serviceNS {
					return "", nil, bad("want the operation in namespace " + serviceNS)
				}
				op = t.Name.Local
			case depth == 4 && inBody:
				param = t.Name.Local
				text.Reset()
				if _, dup := a[param]; dup {
					return "", nil, ccd.Invalid(param, "is given more than once")
				}
			case depth > 4 && inBody:
				return "", nil, ccd.Invalid(param, "want a simple value, not elements")
			}
		case xml.CharData:
			if depth == 4 && inBody {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 4 && inBody {
				a[param] = text.String()
			}
			if depth == 2 {
				inBody = false
			}
			depth--
		}
	}
	if op == "" {
		return "", nil, bad("the SOAP Body holds no operation")
	}
	return op, a, nil
}

func soapResult(op operation, out any) string {
	inner := resultText(out)
	if ts, ok := out.(TargetStatus); ok {
		inner = fmt.Sprintf("<StatusCode>%d</StatusCode><Sum>%d</Sum>", ts.StatusCode, ts.Sum)
	}
	return fmt.Sprintf(`<%sResponse xmlns="%s"><%sResult>%s</%sResult></%sResponse>`, op.name, serviceNS, op.name, inner, op.name, op.name)
}

func writeEnvelope(c echo.Context, status int, ns, body string) error {
	ct := "text/xml; charset=utf-8"
	if ns == soap12NS {
		ct = "application/soap+xml; charset=utf-8"
	}
	c.Response().Header().Set(echo.HeaderContentType, ct)
	return c.String(status, xml.Header+`<soap:Envelope xmlns:soap="`+ns+`" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`+
		body+`</soap:Body></soap:Envelope>`)
}

// writeFault answers an error as a SOAP Fault with the HTTP status of its
// code: soap:Client (Sender) for a 4xx, soap:Server (Receiver) otherwise.
// The detail names the parameter at fault.
func writeFault(c echo.Context, status int, e *ccd.Error) error {
	ns, _ := c.Get(soapVersionKey).(string)
	if ns == "" {
		ns = soap11NS
	}
	detail := fmt.Sprintf(`<error xmlns="urn:ccd"><code>%s</code><field>%s</field><message>%s</message></error>`,
		escape(e.Code), escape(e.Field), escape(e.Message))
	var body string
	if ns == soap12NS {
		code := "soap:Receiver"
		if status < 500 {
			code = "soap:Sender"
		}
		body = fmt.Sprintf(`<soap:Fault><soap:Code><soap:Value>%s</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">%s</soap:Text></soap:Reason><soap:Detail>%s</soap:Detail></soap:Fault>`,
			code, escape(errorText(e)), detail)
	} else {
		code := "soap:Server"
		if status < 500 {
			code = "soap:Client"
		}
		body = fmt.Sprintf(`<soap:Fault><faultcode>%s</faultcode><faultstring>%s</faultstring><detail>%s</detail></soap:Fault>`,
			code, escape(errorText(e)), detail)
	}
	return writeEnvelope(c, status, ns, body)
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// The operations. Unknown ids are 404 naming the parameter; false means
// the id is known but nothing matched.

func soapAddTarget(ctx context.Context, db *store.DB, a args) (any, error) {
	campaign, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	prio, err := a.integer("priority")
	if err != nil {
		return nil, err
	}
	if prio < 0 || prio > 3 {
		return nil, ccd.Invalid("priority", "must be 1 (high), 2 (medium) or 3 (low)")
	}
	t := dialer.Target{CampaignID: campaign, FirstName: a.str("fName"), LastName: a.str("lName"), PhoneI: a.str("phoneI"),
		PhoneII: a.str("phoneII"), PhoneIII: a.str("phoneIII"), DataI: a.str("dataI"), DataII: a.str("dataII"),
		DataIII: a.str("dataIII"), Priority: prio}.WithDefaults() // 0: what a client sends for "not given"
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if _, err := db.AddTarget(ctx, t); err != nil {
		return nil, err
	}
	return true, nil
}

func soapRemoveTarget(ctx context.Context, db *store.DB, a args) (any, error) {
	campaign, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	if err := dialer.CheckPhone(a.str("phone")); err != nil {
		return nil, ccd.Invalid("phone", err.Error())
	}
	n, err := db.RemoveTargets(ctx, campaign, a.str("phone"))
	return n > 0, err
}

func soapTargetStatus(ctx context.Context, db *store.DB, a args) (any, error) {
	campaign, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	m := store.TargetMatch{PhoneI: a.str("phoneI"), PhoneII: a.str("phoneII"), PhoneIII: a.str("phoneIII"),
		DataI: a.str("dataI"), DataII: a.str("dataII"), DataIII: a.str("dataIII")}
	if m == (store.TargetMatch{}) {
		return nil, ccd.Invalid("phoneI", "give at least one of phoneI, phoneII, phoneIII, dataI, dataII, dataIII")
	}
	code, sum, found, err := db.TargetStatus(ctx, campaign, m)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &ccd.Error{Code: ccd.ENOTFOUND, Field: "phoneI", Message: "no target of the campaign matches"}
	}
	return TargetStatus{StatusCode: code, Sum: sum}, nil
}

func notFound(field string, id int) error {
	return &ccd.Error{Code: ccd.ENOTFOUND, Field: field, Message: fmt.Sprintf("no %s %d", strings.TrimSuffix(field, "Id"), id)}
}

func soapSetCampaignData(ctx context.Context, db *store.DB, a args) (any, error) {
	id, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	if a["isActive"] == "" {
		return nil, ccd.Invalid("isActive", "is required: true or false")
	}
	active, err := a.boolean("isActive")
	if err != nil {
		return nil, err
	}
	found, err := db.SetCampaignActive(ctx, id, active)
	if err == nil && !found {
		err = notFound("campaignId", id)
	}
	return found, err
}

// applyCampaignArgs sets the Optimus fields of c from a.
func applyCampaignArgs(c *dialer.Campaign, a args) error {
	ints := []struct {
		name string
		to   *int
	}{{"campaignPriority", &c.CampaignPriority}, {"campaignType", &c.CampaignType}, {"retryNumber", &c.RetryNumber},
		{"noAnswerDuration", &c.NoAnswerDuration}, {"callPriority", &c.CallPriority}}
	for _, f := range ints {
		n, err := a.integer(f.name)
		if err != nil {
			return err
		}
		*f.to = n
	}
	var err error
	if c.Chase, err = a.boolean("chase"); err != nil {
		return err
	}
	if c.IsActive, err = a.boolean("isActive"); err != nil {
		return err
	}
	c.QueueCode = a.str("queueCode")
	return nil
}

func soapAddCampaign(ctx context.Context, db *store.DB, a args) (any, error) {
	c := dialer.Campaign{Name: a.str("campaignName")}
	if err := applyCampaignArgs(&c, a); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := campaignError(c.Validate()); err != nil {
		return nil, err
	}
	return db.CreateCampaign(ctx, c)
}

// campaignError names the web service's parameter where it differs from the
// campaign's field (name is campaignName here).
func campaignError(err error) error {
	var ce *ccd.Error
	if errors.As(err, &ce) && ce.Field == "name" {
		return ccd.Invalid("campaignName", ce.Message)
	}
	return err
}

// soapUpdateCampaign replaces the Optimus fields and keeps the rest (name,
// mode, window, schedules...): UpdateCampaign does not send them.
func soapUpdateCampaign(ctx context.Context, db *store.DB, a args) (any, error) {
	id, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	c, err := db.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := applyCampaignArgs(&c, a); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := campaignError(c.Validate()); err != nil {
		return nil, err
	}
	if err := db.UpdateCampaign(ctx, c); err != nil {
		return nil, err
	}
	return true, nil
}

func soapDeleteCampaign(ctx context.Context, db *store.DB, a args) (any, error) {
	id, err := a.id("campaignId")
	if err != nil {
		return nil, err
	}
	found, err := db.HideCampaign(ctx, id)
	if err == nil && !found {
		err = notFound("campaignId", id)
	}
	return found, err
}

func scheduleOf(a args, name string) (dialer.Schedule, error) {
	s := dialer.Schedule{ScheduleName: name}
	var err error
	if s.FromDateTime, err = dialer.ParseDateTime("fromDateTime", a.str("fromDateTime")); err != nil {
		return s, err
	}
	if s.ToDateTime, err = dialer.ParseDateTime("toDateTime", a.str("toDateTime")); err != nil {
		return s, err
	}
	flags := []struct {
		name string
		to   *bool
	}{{"isSpecialDays", &s.IsSpecialDays}, {"isSunday", &s.IsSunday}, {"isMonday", &s.IsMonday}, {"isTuesday", &s.IsTuesday},
		{"isWednesday", &s.IsWednesday}, {"isThursday", &s.IsThursday}, {"isFriday", &s.IsFriday}, {"isSaturday", &s.IsSaturday}}
	for _, f := range flags {
		if *f.to, err = a.boolean(f.name); err != nil {
			return s, err
		}
	}
	return s, s.Validate()
}

func soapAddSchedule(ctx context.Context, db *store.DB, a args) (any, error) {
	s, err := scheduleOf(a, a.str("scheduleName"))
	if err != nil {
		return nil, err
	}
	return db.CreateSchedule(ctx, s)
}

// soapUpdateSchedule keeps the schedule's name (UpdateSchedule does not send
// one; the store keeps the name when given none).
func soapUpdateSchedule(ctx context.Context, db *store.DB, a args) (any, error) {
	id, err := a.id("scheduleId")
	if err != nil {
		return nil, err
	}
	s, err := scheduleOf(a, "(kept)")
	if err != nil {
		return nil, err
	}
	s.ID, s.ScheduleName = id, ""
	if err := db.UpdateSchedule(ctx, s); err != nil {
		return nil, err
	}
	return true, nil
}

func soapDeleteSchedule(ctx context.Context, db *store.DB, a args) (any, error) {
	id, err := a.id("scheduleId")
	if err != nil {
		return nil, err
	}
	found, err := db.HideSchedule(ctx, id)
	if err == nil && !found {
		err = notFound("scheduleId", id)
	}
	return found, err
}
