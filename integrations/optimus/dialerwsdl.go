package optimus

import (
	"fmt"
	"strings"
)

// WSDL is the Dialer.asmx service description at address, written from
// DialerOperations as ASMX writes one: document/literal wrapped, with the
// SOAP 1.1, SOAP 1.2, HTTP GET and HTTP POST bindings.
func WSDL(address string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/" xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="%[1]s" targetNamespace="%[1]s" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">
  <wsdl:types>
    <s:schema elementFormDefault="qualified" targetNamespace="%[1]s">
`, serviceNS)
	for _, op := range DialerOperations {
		w("      <s:element name=%q>\n        <s:complexType>\n          <s:sequence>\n", op.name)
		for _, p := range allParams(op) {
			if p.xsd == "string" {
				w("            <s:element minOccurs=\"0\" maxOccurs=\"1\" name=%q type=\"s:string\" />\n", p.name)
			} else {
				w("            <s:element minOccurs=\"1\" maxOccurs=\"1\" name=%q type=\"s:%s\" />\n", p.name, p.xsd)
			}
		}
		w("          </s:sequence>\n        </s:complexType>\n      </s:element>\n")
		w("      <s:element name=\"%sResponse\">\n        <s:complexType>\n          <s:sequence>\n", op.name)
		w("            <s:element minOccurs=\"1\" maxOccurs=\"1\" name=\"%sResult\" type=\"%s\" />\n", op.name, xsdType(op.result))
		w("          </s:sequence>\n        </s:complexType>\n      </s:element>\n")
	}
	w(`      <s:complexType name="TargetStatus">
        <s:sequence>
          <s:element minOccurs="1" maxOccurs="1" name="StatusCode" type="s:int" />
          <s:element minOccurs="1" maxOccurs="1" name="Sum" type="s:int" />
        </s:sequence>
      </s:complexType>
      <s:element name="boolean" type="s:boolean" />
      <s:element name="int" type="s:int" />
      <s:element name="TargetStatus" type="tns:TargetStatus" />
    </s:schema>
  </wsdl:types>
`)
	for _, op := range DialerOperations {
		w("  <wsdl:message name=\"%[1]sSoapIn\">\n    <wsdl:part name=\"parameters\" element=\"tns:%[1]s\" />\n  </wsdl:message>\n", op.name)
		w("  <wsdl:message name=\"%[1]sSoapOut\">\n    <wsdl:part name=\"parameters\" element=\"tns:%[1]sResponse\" />\n  </wsdl:message>\n", op.name)
		for _, via := range []string{"HttpGet", "HttpPost"} {
			w("  <wsdl:message name=\"%s%sIn\">\n", op.name, via)
			for _, p := range allParams(op) {
				w("    <wsdl:part name=%q type=\"s:string\" />\n", p.name)
			}
			w("  </wsdl:message>\n")
			w("  <wsdl:message name=\"%s%sOut\">\n    <wsdl:part name=\"Body\" element=\"tns:%s\" />\n  </wsdl:message>\n", op.name, via, op.result)
		}
	}
	for _, pt := range []struct{ name, msg string }{{"DialerSoap", "Soap"}, {"DialerHttpGet", "HttpGet"}, {"DialerHttpPost", "HttpPost"}} {
		w("  <wsdl:portType name=%q>\n", pt.name)
		for _, op := range DialerOperations {
			w("    <wsdl:operation name=\"%[1]s\">\n      <wsdl:input message=\"tns:%[1]s%[2]sIn\" />\n      <wsdl:output message=\"tns:%[1]s%[2]sOut\" />\n    </wsdl:operation>\n", op.name, pt.msg)
		}
		w("  </wsdl:portType>\n")
	}
	for _, sb := range []struct{ name, ns string }{{"DialerSoap", "soap"}, {"DialerSoap12", "soap12"}} {
		w("  <wsdl:binding name=%q type=\"tns:DialerSoap\">\n    <%s:binding transport=\"http://schemas.xmlsoap.org/soap/http\" />\n", sb.name, sb.ns)
		for _, op := range DialerOperations {
			w("    <wsdl:operation name=\"%[1]s\">\n      <%[2]s:operation soapAction=\"%[3]s%[1]s\" style=\"document\" />\n", op.name, sb.ns, serviceNS)
			w("      <wsdl:input>\n        <%[1]s:body use=\"literal\" />\n      </wsdl:input>\n      <wsdl:output>\n        <%[1]s:body use=\"literal\" />\n      </wsdl:output>\n    </wsdl:operation>\n", sb.ns)
		}
		w("  </wsdl:binding>\n")
	}
	for _, hb := range []struct{ name, verb, in string }{
		{"DialerHttpGet", "GET", `<http:urlEncoded />`},
		{"DialerHttpPost", "POST", `<mime:content type="application/x-www-form-urlencoded" />`},
	} {
		w("  <wsdl:binding name=\"%[1]s\" type=\"tns:%[1]s\">\n    <http:binding verb=%[2]q />\n", hb.name, hb.verb)
		for _, op := range DialerOperations {
			w("    <wsdl:operation name=\"%[1]s\">\n      <http:operation location=\"/%[1]s\" />\n      <wsdl:input>\n        %[2]s\n      </wsdl:input>\n", op.name, hb.in)
			w("      <wsdl:output>\n        <mime:mimeXml part=\"Body\" />\n      </wsdl:output>\n    </wsdl:operation>\n")
		}
		w("  </wsdl:binding>\n")
	}
	addr := escape(address)
	w("  <wsdl:service name=\"Dialer\">\n")
	for _, p := range []struct{ port, binding, addr string }{
		{"DialerSoap", "DialerSoap", "soap:address"}, {"DialerSoap12", "DialerSoap12", "soap12:address"},
		{"DialerHttpGet", "DialerHttpGet", "http:address"}, {"DialerHttpPost", "DialerHttpPost", "http:address"},
	} {
		w("    <wsdl:port name=%q binding=\"tns:%s\">\n      <%s location=\"%s\" />\n    </wsdl:port>\n", p.port, p.binding, p.addr, addr)
	}
	w("  </wsdl:service>\n</wsdl:definitions>\n")
	return b.String()
}

// allParams are the operation's parameters with the credentials first, as
// the seed's signatures have them.
func allParams(op operation) []param {
	return append([]param{{"userName", "string"}, {"password", "string"}}, op.params...)
}

func xsdType(result string) string {
	if result == "TargetStatus" {
		return "tns:TargetStatus"
	}
	return "s:" + result
}
