// Command gen generates the ARI model and event types of package ari from
// the Swagger 1.2 resource listings that Asterisk ships (api-docs/*.json).
//
// For every model it writes a Go struct, a hand-rolled JSON decoder and
// encoder (package ari avoids reflection on the hot event path, and Asterisk
// timestamps are not RFC 3339), enum constants for allowableValues, and for
// every subtype of the swagger "Event" and "Message" bases the Event methods
// plus the type registry used by ari.Decode.
//
// Usage (see ari/generate.go):
//
//	go run ./internal/gen -in internal/apidocs -out models_gen.go
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// property is one swagger model property, in document order.
type property struct {
	Name        string
	Type        string
	Description string
	Required    bool
	Values      []string // allowableValues of type LIST
}

// model is one swagger model.
type model struct {
	ID          string
	Description string
	Props       []property
	SubTypes    []string
	File        string
}

func main() {
	in := flag.String("in", "internal/apidocs", "directory holding the ARI *.json resource listings")
	out := flag.String("out", "models_gen.go", "output Go file")
	pkg := flag.String("pkg", "ari", "package name")
	flag.Parse()

	models, err := load(*in)
	if err != nil {
		log.Fatal(err)
	}
	src, err := generate(*pkg, models)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// load reads every resource listing in dir. Property order matters (it is the
// order Asterisk writes fields in), so the documents are walked token by token
// instead of being decoded into maps.
func load(dir string) (map[string]*model, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	models := map[string]*model{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Models orderedObject `json:"models"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, kv := range doc.Models {
			var raw struct {
				ID          string        `json:"id"`
				Description string        `json:"description"`
				SubTypes    []string      `json:"subTypes"`
				Properties  orderedObject `json:"properties"`
			}
			if err := json.Unmarshal(kv.Value, &raw); err != nil {
				return nil, fmt.Errorf("%s: model %s: %w", f, kv.Key, err)
			}
			m := &model{ID: raw.ID, Description: raw.Description, SubTypes: raw.SubTypes, File: filepath.Base(f)}
			for _, p := range raw.Properties {
				var rp struct {
					Type            string `json:"type"`
					Description     string `json:"description"`
					Required        bool   `json:"required"`
					AllowableValues *struct {
						ValueType string   `json:"valueType"`
						Values    []string `json:"values"`
					} `json:"allowableValues"`
				}
				if err := json.Unmarshal(p.Value, &rp); err != nil {
					return nil, fmt.Errorf("%s: %s.%s: %w", f, m.ID, p.Key, err)
				}
				prop := property{Name: p.Key, Type: rp.Type, Description: rp.Description, Required: rp.Required}
				if rp.AllowableValues != nil && rp.AllowableValues.ValueType == "LIST" {
					prop.Values = rp.AllowableValues.Values
				}
				m.Props = append(m.Props, prop)
			}
			if _, dup := models[m.ID]; dup {
				return nil, fmt.Errorf("%s: model %s defined twice", f, m.ID)
			}
			models[m.ID] = m
		}
	}
	return models, nil
}

type keyValue struct {
	Key   string
	Value json.RawMessage
}

// orderedObject is a JSON object that remembers key order.
type orderedObject []keyValue

func (o *orderedObject) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, keyValue{Key: tok.(string), Value: v})
	}
	_, err = dec.Token()
	if err != nil && err != io.EOF {
		return err
	}
	return nil
}

// Names that are not simple snake_case words, and initialisms.
var wordNames = map[string]string{
	"id": "ID", "uri": "URI", "ms": "MS", "ssrc": "SSRC", "rtt": "RTT", "rdnis": "RDNIS",
	"os": "OS", "txt": "Txt", "usec": "Usec", "ids": "IDs",
	"accountcode": "AccountCode", "bridgevars": "BridgeVars", "channelvars": "ChannelVars",
	"creationtime": "CreationTime", "dialstatus": "DialStatus", "dialstring": "DialString",
	"eventname": "EventName", "musicclass": "MusicClass", "setid": "SetID", "tenantid": "TenantID",
	"userevent": "UserEvent", "maxrtt": "MaxRTT", "minrtt": "MinRTT", "normdevrtt": "NormDevRTT",
	"stdevrtt": "StdevRTT", "rxcount": "RxCount", "txcount": "TxCount", "rxjitter": "RxJitter",
	"txjitter": "TxJitter", "rxoctetcount": "RxOctetCount", "txoctetcount": "TxOctetCount",
	"rxploss": "RxPLoss", "txploss": "TxPLoss", "maxjitter": "MaxJitter", "minjitter": "MinJitter",
	"normdevjitter": "NormDevJitter", "stdevjitter": "StdevJitter", "maxrxploss": "MaxRxPLoss",
	"minrxploss": "MinRxPLoss", "normdevrxploss": "NormDevRxPLoss", "stdevrxploss": "StdevRxPLoss",
	"threeway": "ThreeWay", "uniqueid": "UniqueID",
}

func goName(snake string) string {
	var b strings.Builder
	for _, w := range strings.Split(snake, "_") {
		if w == "" {
			continue
		}
		if n, ok := wordNames[w]; ok {
			b.WriteString(n)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// Properties typed "object" that are string maps in practice; the rest stay
// json.RawMessage.
var stringMaps = map[string]bool{
	"Channel.channelvars":   true,
	"Bridge.bridgevars":     true,
	"TextMessage.variables": true,
	"Variables.variables":   true,
}

// Enum constant prefixes where Model+Field reads badly.
var enumPrefix = map[string]string{
	"ContactInfo.contact_status": "ContactStatus",
	"LiveRecording.state":        "RecordingState",
	"Bridge.bridge_type":         "BridgeType",
	"DeviceState.state":          "DeviceState",
}

// resourceKinds are the models that identify an ARI resource an event can be
// scoped to (see ari.Key).
var resourceKinds = map[string]bool{
	"Channel": true, "Bridge": true, "Playback": true, "LiveRecording": true,
	"Endpoint": true, "DeviceState": true,
}

type gen struct {
	models map[string]*model
	events map[string]bool // subtypes of Event
	msgs   map[string]bool // subtypes of Message that are not Event
	buf    bytes.Buffer
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

func generate(pkg string, models map[string]*model) ([]byte, error) {
	g := &gen{models: models, events: map[string]bool{}, msgs: map[string]bool{}}
	ev, ok := models["Event"]
	if !ok {
		return nil, fmt.Errorf("no Event model")
	}
	for _, s := range ev.SubTypes {
		if models[s] == nil {
			return nil, fmt.Errorf("subtype %s of Event has no model", s)
		}
		g.events[s] = true
	}
	if msg, ok := models["Message"]; ok {
		for _, s := range msg.SubTypes {
			if s != "Event" && models[s] != nil {
				g.msgs[s] = true
			}
		}
	}

	var names []string
	for n := range models {
		if n == "Event" || n == "Message" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)

	g.p("// Code generated by ari/internal/gen from internal/apidocs/*.json. DO NOT EDIT.")
	g.p("")
	g.p("package %s", pkg)
	g.p("")
	g.p("import (")
	g.p("\t\"encoding/json\"")
	g.p("\t\"time\"")
	g.p(")")
	g.p("")

	// Event type constants and registry.
	var evNames []string
	for n := range g.events {
		evNames = append(evNames, n)
	}
	for n := range g.msgs {
		evNames = append(evNames, n)
	}
	sort.Strings(evNames)
	g.p("// Event type names, as found in the \"type\" field of websocket messages.")
	g.p("const (")
	for _, n := range evNames {
		g.p("\tEvent%s = %q", n, n)
	}
	g.p(")")
	g.p("")
	g.p("// EventTypes lists every message type Decode turns into its own Go type,")
	g.p("// sorted by name.")
	g.p("var EventTypes = []string{")
	for _, n := range evNames {
		g.p("\tEvent%s,", n)
	}
	g.p("}")
	g.p("")
	g.p("// newEvent returns a zero event of the Go type registered for typ, or nil.")
	g.p("func newEvent(typ string) event {")
	g.p("\tswitch typ {")
	for _, n := range evNames {
		g.p("\tcase %q:", n)
		g.p("\t\treturn new(%s)", n)
	}
	g.p("\t}")
	g.p("\treturn nil")
	g.p("}")
	g.p("")

	for _, n := range names {
		if err := g.model(models[n]); err != nil {
			return nil, err
		}
	}
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		return g.buf.Bytes(), fmt.Errorf("gofmt: %w", err)
	}
	return src, nil
}

// field is a property translated to Go.
type field struct {
	property
	GoName string
	GoType string
	kind   string // string,int,int64,float64,bool,time,raw,strmap,model,list
	elem   string // list element kind / model name
	ptr    bool   // optional nested model
}

func (g *gen) field(m *model, p property) (field, error) {
	f := field{property: p, GoName: goName(p.Name)}
	t := p.Type
	scalar := func(t string) (goType, kind string, ok bool) {
		switch t {
		case "string":
			return "string", "string", true
		case "int":
			return "int", "int", true
		case "long":
			return "int64", "int64", true
		case "double":
			return "float64", "float64", true
		case "boolean":
			return "bool", "bool", true
		case "Date":
			return "time.Time", "time", true
		case "object":
			return "json.RawMessage", "raw", true
		}
		return "", "", false
	}
	if strings.HasPrefix(t, "List[") && strings.HasSuffix(t, "]") {
		el := t[5 : len(t)-1]
		f.kind = "list"
		if gt, k, ok := scalar(el); ok {
			f.GoType = "[]" + gt
			f.elem = k
			return f, nil
		}
		if g.models[el] == nil {
			return f, fmt.Errorf("%s.%s: unknown type %s", m.ID, p.Name, t)
		}
		f.GoType = "[]" + el
		f.elem = "model:" + el
		return f, nil
	}
	if stringMaps[m.ID+"."+p.Name] {
		f.kind, f.GoType = "strmap", "map[string]string"
		return f, nil
	}
	if gt, k, ok := scalar(t); ok {
		f.GoType, f.kind = gt, k
		return f, nil
	}
	if t == "containers" {
		f.kind, f.GoType = "strmap", "map[string]string"
		return f, nil
	}
	if g.models[t] == nil {
		return f, fmt.Errorf("%s.%s: unknown type %s", m.ID, p.Name, t)
	}
	f.kind, f.elem = "model", t
	if p.Required {
		f.GoType = t
	} else {
		f.GoType = "*" + t
		f.ptr = true
	}
	return f, nil
}

func comment(g *gen, indent, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	for _, para := range strings.Split(text, "\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			g.p("%s//", indent)
			continue
		}
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > 76 {
				g.p("%s// %s", indent, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			g.p("%s// %s", indent, line)
		}
	}
}

func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (g *gen) model(m *model) error {
	isEvent, isMsg := g.events[m.ID], g.msgs[m.ID]
	var fields []field
	// Base fields come first in the struct; on the wire Asterisk writes type
	// and timestamp first and asterisk_id/application last.
	if isEvent || isMsg {
		for _, base := range []string{"Event", "Message"} {
			if base == "Event" && !isEvent {
				continue
			}
			for _, p := range g.models[base].Props {
				if p.Name == "type" {
					continue
				}
				f, err := g.field(m, p)
				if err != nil {
					return err
				}
				fields = append(fields, f)
			}
		}
	}
	nBase := len(fields)
	for _, p := range m.Props {
		f, err := g.field(m, p)
		if err != nil {
			return err
		}
		fields = append(fields, f)
	}

	switch {
	case isEvent:
		g.p("// %s is the ARI event %q, delivered over the websocket.", m.ID, m.ID)
	case isMsg:
		g.p("// %s is the ARI websocket message %q. It is not an Event subtype in", m.ID, m.ID)
		g.p("// the swagger model: it carries no application and no timestamp.")
	default:
		g.p("// %s is the ARI model %q (%s).", m.ID, m.ID, m.File)
	}
	if d := sentence(m.Description); d != "" {
		g.p("//")
		comment(g, "", d)
	}
	g.p("type %s struct {", m.ID)
	for i, f := range fields {
		if i == nBase && nBase > 0 {
			g.p("")
		}
		d := sentence(f.Description)
		switch {
		case f.Name == "asterisk_id":
			d = "AsteriskID is the unique ID of the Asterisk instance that sent the message."
		case f.Name == "application" && i < nBase:
			d = "Application is the name of the Stasis application receiving the event."
		case f.Name == "timestamp" && i < nBase:
			d = "Timestamp is the time at which the event was created."
		}
		if len(f.Values) > 0 {
			prefix, ok := enumPrefix[m.ID+"."+f.Name]
			if !ok {
				prefix = m.ID + f.GoName
			}
			if d != "" {
				d += " "
			}
			d += "One of the " + prefix + "* constants."
		}
		if !f.Required && f.Name != "asterisk_id" {
			if d != "" {
				d += " "
			}
			d += "Optional."
		}
		comment(g, "\t", d)
		tag := f.Name
		if !f.Required {
			tag += ",omitempty"
		}
		g.p("\t%s %s `json:%q`", f.GoName, f.GoType, tag)
	}
	g.p("}")
	g.p("")

	// Enum constants.
	for _, f := range fields {
		if len(f.Values) == 0 {
			continue
		}
		prefix, ok := enumPrefix[m.ID+"."+f.Name]
		if !ok {
			prefix = m.ID + f.GoName
		}
		g.p("// Values of %s.%s.", m.ID, f.GoName)
		g.p("const (")
		for _, v := range f.Values {
			g.p("\t%s%s = %q", prefix, constName(v), v)
		}
		g.p(")")
		g.p("")
	}

	if isEvent || isMsg {
		g.p("// EventType returns %q.", m.ID)
		g.p("func (*%s) EventType() string { return %q }", m.ID, m.ID)
		g.p("")
		if isEvent {
			g.p("// EventApplication returns the Stasis application the event was sent to.")
			g.p("func (e *%s) EventApplication() string { return e.Application }", m.ID)
			g.p("")
			g.p("// EventTime returns the time Asterisk created the event.")
			g.p("func (e *%s) EventTime() time.Time { return e.Timestamp }", m.ID)
		} else {
			g.p("// EventApplication returns \"\": %s is not addressed to an application.", m.ID)
			g.p("func (e *%s) EventApplication() string { return \"\" }", m.ID)
			g.p("")
			g.p("// EventTime returns the zero time: %s carries no timestamp.", m.ID)
			g.p("func (e *%s) EventTime() time.Time { return time.Time{} }", m.ID)
		}
		g.p("")
		g.keys(m, fields)
	} else if g.hasRefs(m.ID, map[string]bool{}) && !resourceKinds[m.ID] {
		g.keys(m, fields)
	}

	g.decoder(m, fields)
	g.encoder(m, fields, isEvent || isMsg, nBase)
	return nil
}

// hasRefs reports whether values of model name can reference a resource.
func (g *gen) hasRefs(name string, seen map[string]bool) bool {
	if resourceKinds[name] {
		return true
	}
	if seen[name] {
		return false
	}
	seen[name] = true
	m := g.models[name]
	if m == nil {
		return false
	}
	for _, p := range m.Props {
		t := p.Type
		if strings.HasPrefix(t, "List[") {
			t = t[5 : len(t)-1]
		}
		if g.models[t] != nil && g.hasRefs(t, seen) {
			return true
		}
	}
	return false
}

// keys writes appendKeys, listing the resources a value references so that
// scoped subscriptions (Client.Channel(id).Subscribe...) can be matched.
func (g *gen) keys(m *model, fields []field) {
	g.p("func (v *%s) appendKeys(k []Key) []Key {", m.ID)
	for _, f := range fields {
		switch {
		case f.kind == "model" && g.hasRefs(f.elem, map[string]bool{}):
			if f.ptr {
				g.p("\tif v.%s != nil {", f.GoName)
				g.p("\t\tk = v.%s.appendKeys(k)", f.GoName)
				g.p("\t}")
			} else {
				g.p("\tk = v.%s.appendKeys(k)", f.GoName)
			}
		case f.kind == "list" && strings.HasPrefix(f.elem, "model:") && g.hasRefs(f.elem[6:], map[string]bool{}):
			g.p("\tfor i := range v.%s {", f.GoName)
			g.p("\t\tk = v.%s[i].appendKeys(k)", f.GoName)
			g.p("\t}")
		}
	}
	g.p("\treturn k")
	g.p("}")
	g.p("")
}

func constName(v string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if strings.ToUpper(part) == part {
			part = strings.ToLower(part)
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (g *gen) decodeValue(dst, kind, elem string) string {
	switch kind {
	case "string":
		return dst + " = r.str()"
	case "int":
		return dst + " = r.int()"
	case "int64":
		return dst + " = r.int64()"
	case "float64":
		return dst + " = r.float()"
	case "bool":
		return dst + " = r.bool()"
	case "time":
		return dst + " = r.time()"
	case "raw":
		return dst + " = r.raw()"
	case "strmap":
		return dst + " = r.strMap()"
	}
	panic("kind " + kind)
}

func (g *gen) decoder(m *model, fields []field) {
	g.p("func (v *%s) decode(r *reader) {", m.ID)
	if len(fields) == 0 {
		g.p("\tr.skipObject()")
		g.p("}")
		g.p("")
		g.unmarshal(m)
		return
	}
	g.p("\tif !r.objectBegin() {")
	g.p("\t\treturn")
	g.p("\t}")
	g.p("\tfor more := r.objectFirst(); more; more = r.objectNext() {")
	g.p("\t\tswitch r.key() {")
	for _, f := range fields {
		g.p("\t\tcase %q:", f.Name)
		switch f.kind {
		case "model":
			if f.ptr {
				g.p("\t\t\tif r.null() {")
				g.p("\t\t\t\tv.%s = nil", f.GoName)
				g.p("\t\t\t} else {")
				g.p("\t\t\t\tv.%s = new(%s)", f.GoName, f.elem)
				g.p("\t\t\t\tv.%s.decode(r)", f.GoName)
				g.p("\t\t\t}")
			} else {
				g.p("\t\t\tv.%s = %s{}", f.GoName, f.elem)
				g.p("\t\t\tv.%s.decode(r)", f.GoName)
			}
		case "list":
			switch {
			case f.elem == "string":
				g.p("\t\t\tv.%s = r.strList()", f.GoName)
			case strings.HasPrefix(f.elem, "model:"):
				el := f.elem[6:]
				g.p("\t\t\tv.%s = nil", f.GoName)
				g.p("\t\t\tif r.arrayBegin() {")
				g.p("\t\t\t\tv.%s = []%s{}", f.GoName, el)
				g.p("\t\t\t\tfor more := r.arrayFirst(); more; more = r.arrayNext() {")
				g.p("\t\t\t\t\tvar x %s", el)
				g.p("\t\t\t\t\tx.decode(r)")
				g.p("\t\t\t\t\tv.%s = append(v.%s, x)", f.GoName, f.GoName)
				g.p("\t\t\t\t}")
				g.p("\t\t\t}")
			default:
				gt := strings.TrimPrefix(f.GoType, "[]")
				g.p("\t\t\tv.%s = nil", f.GoName)
				g.p("\t\t\tif r.arrayBegin() {")
				g.p("\t\t\t\tv.%s = []%s{}", f.GoName, gt)
				g.p("\t\t\t\tfor more := r.arrayFirst(); more; more = r.arrayNext() {")
				g.p("\t\t\t\t\tvar x %s", gt)
				g.p("\t\t\t\t\t%s", g.decodeValue("x", f.elem, ""))
				g.p("\t\t\t\t\tv.%s = append(v.%s, x)", f.GoName, f.GoName)
				g.p("\t\t\t\t}")
				g.p("\t\t\t}")
			}
		default:
			g.p("\t\t\t%s", g.decodeValue("v."+f.GoName, f.kind, ""))
		}
	}
	g.p("\t\tdefault:")
	g.p("\t\t\tr.skip()")
	g.p("\t\t}")
	g.p("\t}")
	g.p("}")
	g.p("")
	g.unmarshal(m)
}

func (g *gen) unmarshal(m *model) {
	g.p("// UnmarshalJSON decodes %s the way Asterisk writes it.", m.ID)
	g.p("func (v *%s) UnmarshalJSON(data []byte) error {", m.ID)
	g.p("\t*v = %s{}", m.ID)
	g.p("\treturn unmarshalInto(data, v)")
	g.p("}")
	g.p("")
}

func (g *gen) encodeValue(src, kind string) string {
	switch kind {
	case "string":
		return "b = appendString(b, " + src + ")"
	case "int":
		return "b = appendInt(b, int64(" + src + "))"
	case "int64":
		return "b = appendInt(b, " + src + ")"
	case "float64":
		return "b = appendFloat(b, " + src + ")"
	case "bool":
		return "b = appendBool(b, " + src + ")"
	case "time":
		return "b = appendTime(b, " + src + ")"
	case "raw":
		return "b = appendRaw(b, " + src + ")"
	case "strmap":
		return "b = appendStrMap(b, " + src + ")"
	}
	panic("kind " + kind)
}

func zeroCheck(f field) string {
	switch f.kind {
	case "string":
		return "v." + f.GoName + " != \"\""
	case "int", "int64", "float64":
		return "v." + f.GoName + " != 0"
	case "bool":
		return "v." + f.GoName
	case "time":
		return "!v." + f.GoName + ".IsZero()"
	case "raw", "strmap", "list":
		return "v." + f.GoName + " != nil"
	case "model":
		if f.ptr {
			return "v." + f.GoName + " != nil"
		}
		return ""
	}
	return ""
}

func (g *gen) encoder(m *model, fields []field, isEvent bool, nBase int) {
	g.p("func (v *%s) appendJSON(b []byte) []byte {", m.ID)
	g.p("\tb = append(b, '{')")
	emit := func(f field) {
		cond := ""
		if !f.Required {
			cond = zeroCheck(f)
		}
		ind := "\t"
		if cond != "" {
			g.p("\tif %s {", cond)
			ind = "\t\t"
		}
		g.p("%sb = appendKey(b, %q)", ind, f.Name)
		switch f.kind {
		case "model":
			g.p("%sb = v.%s.appendJSON(b)", ind, f.GoName)
		case "list":
			g.p("%sif v.%s == nil {", ind, f.GoName)
			g.p("%s\tb = append(b, \"[]\"...)", ind)
			g.p("%s} else {", ind)
			g.p("%s\tb = append(b, '[')", ind)
			g.p("%s\tfor i := range v.%s {", ind, f.GoName)
			g.p("%s\t\tif i > 0 {", ind)
			g.p("%s\t\t\tb = append(b, ',')", ind)
			g.p("%s\t\t}", ind)
			if strings.HasPrefix(f.elem, "model:") {
				g.p("%s\t\tb = v.%s[i].appendJSON(b)", ind, f.GoName)
			} else {
				g.p("%s\t\t%s", ind, g.encodeValue("v."+f.GoName+"[i]", f.elem))
			}
			g.p("%s\t}", ind)
			g.p("%s\tb = append(b, ']')", ind)
			g.p("%s}", ind)
		default:
			g.p("%s%s", ind, g.encodeValue("v."+f.GoName, f.kind))
		}
		if cond != "" {
			g.p("\t}")
		}
	}
	if isEvent {
		// Asterisk order: type, timestamp, own fields, asterisk_id, application.
		g.p("\tb = appendKey(b, \"type\")")
		g.p("\tb = appendString(b, %q)", m.ID)
		for _, f := range fields[:nBase] {
			if f.Name == "timestamp" {
				emit(f)
			}
		}
		for _, f := range fields[nBase:] {
			emit(f)
		}
		for _, name := range []string{"asterisk_id", "application"} {
			for _, f := range fields[:nBase] {
				if f.Name == name {
					emit(f)
				}
			}
		}
	} else {
		for _, f := range fields {
			emit(f)
		}
	}
	g.p("\treturn append(b, '}')")
	g.p("}")
	g.p("")
	g.p("// MarshalJSON encodes %s the way Asterisk writes it.", m.ID)
	g.p("func (v %s) MarshalJSON() ([]byte, error) {", m.ID)
	g.p("\treturn v.appendJSON(nil), nil")
	g.p("}")
	g.p("")
}
