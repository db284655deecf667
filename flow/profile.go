package flow

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/ccdhq/ccd/internal/textcheck"
)

// The call profile's fixed fields (Mitel's call profile, 002 Table 1, in
// ccd's names). Every step reads and writes them by these names; any other
// name is a custom field (a text), such as the HTTP module's stored
// variables.
const (
	FieldANI            = "ani" // the caller's number (CLID)
	FieldDNIS           = "dnis"
	FieldCallID         = "call_id"
	FieldCallerName     = "caller_name"
	FieldLineName       = "line_name" // the dialled line's name (Flexfone's "vis linjenavn")
	FieldQueue          = "queue"
	FieldPriority       = "priority" // 1 (highest) .. 9
	FieldLanguage       = "language"
	FieldCustomerNumber = "customer_number"
	FieldCustomerName   = "customer_name"
	FieldAttachData     = "attach_data"
	FieldCallType       = "call_type"
	FieldQueuePosition  = "queue_position"        // a number
	FieldExpectedWait   = "expected_wait"         // seconds
	FieldCallbackDest   = "callback_destination"  // a number
	FieldInput          = "input"                 // the last digits the caller keyed
	FieldAgent          = "agent"                 // the agent asked for
	FieldAgentExtension = "agent_extension"       // where the agent answers
	FieldAccount        = "account"               // the customer account a CRM named
	FieldLastCallback   = "last_time_to_callback" // RFC 3339
)

// numericFields are fixed fields that hold whole numbers.
var numericFields = map[string]bool{FieldPriority: true, FieldQueuePosition: true, FieldExpectedWait: true}

// FixedFields lists the fixed fields.
var FixedFields = []string{FieldANI, FieldDNIS, FieldCallID, FieldCallerName, FieldLineName, FieldQueue,
	FieldPriority, FieldLanguage, FieldCustomerNumber, FieldCustomerName, FieldAttachData, FieldCallType,
	FieldQueuePosition, FieldExpectedWait, FieldCallbackDest, FieldInput, FieldAgent, FieldAgentExtension,
	FieldAccount, FieldLastCallback}

var fixed = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range FixedFields {
		m[f] = true
	}
	return m
}()

// IsFixed tells a fixed field from a custom one.
func IsFixed(name string) bool { return fixed[name] }

// MaxValueBytes is the longest value a field takes: values come from
// callers' keys and remote services, and go into the event log.
const MaxValueBytes = 1024

// MaxCustomFields bounds the custom fields of one call: a remote service
// answering thousands of keys fills no memory.
const MaxCustomFields = 64

var fieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ValidFieldName reports whether name may name a field.
func ValidFieldName(name string) bool { return fieldName.MatchString(name) }

// Change is one change of a profile field, for the event log.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new"`
}

// Profile is the call profile: named values every step reads and writes.
// Numeric fixed fields take whole numbers only; every value is checked
// text. Changes are kept until taken, so the application writes them to
// the log.
type Profile struct {
	vals    map[string]string
	changes []Change
}

// NewProfile returns a profile holding the initial values, which are not
// changes; invalid ones are left out.
func NewProfile(initial map[string]string) *Profile {
	p := &Profile{vals: map[string]string{}}
	for k, v := range initial {
		if p.check(k, v) == nil {
			p.vals[k] = v
		}
	}
	return p
}

// Get returns a field's value ("" when unset).
func (p *Profile) Get(name string) string { return p.vals[name] }

// Int returns a numeric field's value (0 when unset).
func (p *Profile) Int(name string) int {
	n, _ := strconv.Atoi(p.vals[name])
	return n
}

// Set changes a field; a value that does not fit the field is refused.
func (p *Profile) Set(name, value string) error {
	if err := p.check(name, value); err != nil {
		return err
	}
	old, had := p.vals[name]
	if had && old == value {
		return nil
	}
	if !had && !fixed[name] && p.custom() >= MaxCustomFields {
		return fmt.Errorf("profile: more than %d custom fields", MaxCustomFields)
	}
	p.vals[name] = value
	p.changes = append(p.changes, Change{Field: name, Old: old, New: value})
	return nil
}

func (p *Profile) custom() int {
	n := 0
	for k := range p.vals {
		if !fixed[k] {
			n++
		}
	}
	return n
}

func (p *Profile) check(name, value string) error {
	if !ValidFieldName(name) {
		return fmt.Errorf("profile: bad field name %q", name)
	}
	if len(value) > MaxValueBytes {
		return fmt.Errorf("profile: %s: value of %d bytes, at most %d", name, len(value), MaxValueBytes)
	}
	if msg := textcheck.Problem(value); msg != "" {
		return fmt.Errorf("profile: %s: %s", name, msg)
	}
	if numericFields[name] && value != "" {
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("profile: %s: want a whole number, got %q", name, value)
		}
		if name == FieldPriority && (n < 1 || n > 9) {
			return fmt.Errorf("profile: priority: want 1..9, got %d", n)
		}
	}
	return nil
}

// TakeChanges returns the changes since the last call, in order.
func (p *Profile) TakeChanges() []Change {
	c := p.changes
	p.changes = nil
	return c
}

// Values is a copy of every field.
func (p *Profile) Values() map[string]string { return maps.Clone(p.vals) }

// Names are the fields set, sorted.
func (p *Profile) Names() []string { return slices.Sorted(maps.Keys(p.vals)) }
