package flexfone

import (
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/config"
	"github.com/labstack/echo/v4"
)

// EmployeeRoute is the employee directory (004 "Medarbejder kaldsmetode");
// /<localnumber> is one employee.
const EmployeeRoute = "/api/flexfone/employee"

// Employee is one employee as Flexfone lists it: ccd's agents, numbered by
// the extension of their default phone. ccd keeps no departments, phone
// numbers (DIDs) or info fields: those lists are empty.
type Employee struct {
	XMLName      xml.Name      `json:"-" xml:"Employee"`
	Localnumber  any           `json:"Localnumber" xml:"Localnumber"`
	Name         string        `json:"Name" xml:"Name"`
	Description  string        `json:"Description" xml:"Description"`
	Email        string        `json:"Email" xml:"Email"`
	Phonenumbers []PhoneNumber `json:"Phonenumbers" xml:"Phonenumbers>Phonenumber"`
	Phones       []Phone       `json:"Phones" xml:"Phones>Phone"`
	Info         []Info        `json:"Info" xml:"Info>InfoField"`
	Department   []Department  `json:"Department" xml:"Department>Department"`
}

// PhoneNumber is a number (DID) that reaches the employee.
type PhoneNumber struct {
	Number          any    `json:"Number" xml:"Number"`
	LineName        string `json:"LineName" xml:"LineName"`
	BelongsTo       any    `json:"BelongsTo" xml:"BelongsTo"`
	GotoLocalNumber any    `json:"GotoLocalNumber" xml:"GotoLocalNumber"`
}

// Phone is one of the employee's phones: an endpoint the agent may use.
type Phone struct {
	LocalNumber any    `json:"LocalNumber" xml:"LocalNumber"`
	Name        string `json:"Name" xml:"Name"`
	Type        int    `json:"Type" xml:"Type"`
	MAC         string `json:"MAC" xml:"MAC"`
	BelongsTo   any    `json:"BelongsTo" xml:"BelongsTo"`
}

// Info is an information field of the employee.
type Info struct {
	Type  int    `json:"Type" xml:"Type"`
	Label string `json:"Label" xml:"Label"`
	Value string `json:"Value" xml:"Value"`
}

// Department is the employee's department.
type Department struct {
	Name    string `json:"Name" xml:"Name"`
	Street  string `json:"Street" xml:"Street"`
	Zipcode string `json:"Zipcode" xml:"Zipcode"`
	City    string `json:"City" xml:"City"`
	Cvr     string `json:"Cvr" xml:"Cvr"`
	Contact string `json:"Contact" xml:"Contact"`
	Email   string `json:"Email" xml:"Email"`
	Ean     string `json:"Ean" xml:"Ean"`
	Iref    string `json:"Iref" xml:"Iref"`
}

type employees struct {
	XMLName xml.Name   `xml:"ArrayOfEmployee"`
	Items   []Employee `xml:"Employee"`
}

// MountDirectory adds the employee directory when credentials are
// configured; acd is the live ACD configuration (its agents).
func MountDirectory(s *api.Server, agents *api.Agents, acd func() config.ACD, creds Credentials) {
	if creds.Account == "" {
		return
	}
	h := &handler{agents: agents, creds: creds}
	list := func(c echo.Context) error {
		if err := h.authenticate(c); err != nil {
			return err
		}
		cfg := acd()
		all := make([]Employee, 0, len(cfg.Agents))
		for _, a := range cfg.Agents {
			all = append(all, employeeOf(cfg, a))
		}
		if ln := c.Param("localnumber"); ln != "" {
			for i, a := range cfg.Agents {
				if localNumber(cfg, a) == ln {
					return answer(c, http.StatusOK, all[i])
				}
			}
			return &ccd.Error{Code: ccd.ENOTFOUND, Message: "no employee " + strconv.Quote(ln)}
		}
		return answerList(c, employees{Items: all}, all)
	}
	s.Echo.GET(EmployeeRoute, list)
	s.Echo.GET(EmployeeRoute+"/:localnumber", list)
}

// localNumber is an agent's local number: the extension of its default
// phone, else its id.
func localNumber(cfg config.ACD, a config.Agent) string {
	if n := cfg.ExtensionOf(a.DefaultEndpoint()); n != "" {
		return n
	}
	return a.ID
}

func employeeOf(cfg config.ACD, a config.Agent) Employee {
	ln := number(localNumber(cfg, a))
	e := Employee{Localnumber: ln, Name: a.Name, Email: a.Email, Phonenumbers: []PhoneNumber{}, Phones: []Phone{},
		Info: []Info{}, Department: []Department{}}
	for _, ep := range a.AllowedEndpoints() {
		e.Phones = append(e.Phones, Phone{LocalNumber: number(cfg.ExtensionOf(ep)), Name: ep, BelongsTo: ln})
	}
	return e
}
