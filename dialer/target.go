package dialer

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ccdhq/ccd"
)

// The status codes of dialer.status_code (store/migrations/0016_dialer.sql).
const (
	StatusNew              = 0
	StatusDialing          = 1
	StatusAnswered         = 2
	StatusNoAnswer         = 3
	StatusBusy             = 4
	StatusCongestion       = 5
	StatusRejected         = 6
	StatusInvalidNumber    = 7
	StatusMachine          = 8
	StatusAbandoned        = 9
	StatusDNC              = 10
	StatusRetriesExhausted = 11
	StatusCallback         = 12
	StatusRemoved          = 13
)

// RetryableStatus says whether an attempt that ended with code may be tried
// again.
func RetryableStatus(code int) bool {
	switch code {
	case StatusNoAnswer, StatusBusy, StatusCongestion, StatusRejected, StatusInvalidNumber, StatusMachine, StatusAbandoned:
		return true
	}
	return false
}

// defaultDelay is the wait before a retry when the campaign has no rule for
// the result.
var defaultDelay = map[int]time.Duration{
	StatusNoAnswer:      time.Hour,
	StatusBusy:          10 * time.Minute,
	StatusCongestion:    30 * time.Minute,
	StatusRejected:      2 * time.Hour,
	StatusInvalidNumber: 0, // the next phone, at once
	StatusMachine:       2 * time.Hour,
	StatusAbandoned:     time.Hour,
}

// Target is a person to call. The JSON names are the Optimus parameters
// (fName, lName, phoneI, ...); the counters are those of
// bi.GetDialerTargetsByStatus.
type Target struct {
	ID               int64      `json:"targetId" db:"target_id"`
	CampaignID       int        `json:"campaignId" db:"campaign_id"`
	FirstName        string     `json:"fName" db:"first_name"`
	LastName         string     `json:"lName" db:"last_name"`
	PhoneI           string     `json:"phoneI" db:"phone_i"`
	PhoneII          string     `json:"phoneII" db:"phone_ii"`
	PhoneIII         string     `json:"phoneIII" db:"phone_iii"`
	DataI            string     `json:"dataI" db:"data_i"`
	DataII           string     `json:"dataII" db:"data_ii"`
	DataIII          string     `json:"dataIII" db:"data_iii"`
	Priority         int        `json:"priority" db:"priority"`
	FileNumber       *int64     `json:"fileNumber,omitempty" db:"file_number"`
	ExternalTargetID *int64     `json:"externalTargetId,omitempty" db:"external_target_id"`
	TimeZone         string     `json:"timeZone,omitempty" db:"time_zone"`
	StatusCode       int        `json:"statusCode" db:"status_code"`
	LastCallTS       *time.Time `json:"lastCallTs,omitempty" db:"last_call_ts"`
	NextCallTS       *time.Time `json:"nextCallTs,omitempty" db:"next_call_ts"`
	NextPhone        int        `json:"nextPhone" db:"next_phone"`
	PhoneICounter    int        `json:"phoneICounter" db:"phone_i_counter"`
	PhoneIICounter   int        `json:"phoneIICounter" db:"phone_ii_counter"`
	PhoneIIICounter  int        `json:"phoneIIICounter" db:"phone_iii_counter"`
	TotalDials       int        `json:"totalDials" db:"total_dials"`
}

// MaxPhoneLen is the longest phone number accepted (bi.GetDialerTargetsByStatus
// holds 20 characters).
const MaxPhoneLen = 20

// MaxTextLen bounds names and data (the Optimus columns hold 50 to 100).
const MaxTextLen = 100

// CheckPhone refuses what cannot be dialled: anything but digits with at
// most one leading +, and more than MaxPhoneLen characters. The message says
// what is wrong, for the caller to name the field (and row).
func CheckPhone(p string) error {
	switch {
	case p == "":
		return errString("is empty")
	case len(p) > MaxPhoneLen:
		return errString("is longer than " + strconv.Itoa(MaxPhoneLen) + " characters")
	}
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
		case r == '+' && i == 0 && len(p) > 1:
		case r == ' ' || r == '\t':
			return errString("contains a space")
		case r == '+':
			return errString("has a + that is not at its start")
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			return errString("contains a letter")
		default:
			return errString("contains " + strconv.QuoteRune(r) + ": only digits and a leading + are allowed")
		}
	}
	return nil
}

// Validate checks a target to add (after WithDefaults); the error names the
// field with the Optimus parameter name.
func (t Target) Validate() error {
	if err := CheckPhone(t.PhoneI); err != nil {
		return ccd.Invalid("phoneI", err.Error())
	}
	for _, p := range []struct{ name, v string }{{"phoneII", t.PhoneII}, {"phoneIII", t.PhoneIII}} {
		if p.v == "" {
			continue
		}
		if err := CheckPhone(p.v); err != nil {
			return ccd.Invalid(p.name, err.Error())
		}
	}
	for _, f := range []struct{ name, v string }{{"fName", t.FirstName}, {"lName", t.LastName},
		{"dataI", t.DataI}, {"dataII", t.DataII}, {"dataIII", t.DataIII}} {
		if utf8.RuneCountInString(f.v) > MaxTextLen {
			return ccd.Invalid(f.name, "is longer than "+strconv.Itoa(MaxTextLen)+" characters")
		}
		if !utf8.ValidString(f.v) || strings.ContainsRune(f.v, 0) {
			return ccd.Invalid(f.name, "is not valid UTF-8 text")
		}
	}
	if t.Priority < 1 || t.Priority > 3 {
		return ccd.Invalid("priority", "must be 1 (high), 2 (medium) or 3 (low)")
	}
	if t.TimeZone != "" {
		if err := checkZone(t.TimeZone); err != nil {
			return ccd.Invalid("timeZone", err.Error())
		}
	}
	return nil
}

// WithDefaults gives a target without a priority the system default (2).
func (t Target) WithDefaults() Target {
	if t.Priority == 0 {
		t.Priority = 2
	}
	return t
}

// Phone is the target's phone number i (1..3), "" when it has none.
func (t Target) Phone(i int) string {
	switch i {
	case 1:
		return t.PhoneI
	case 2:
		return t.PhoneII
	case 3:
		return t.PhoneIII
	}
	return ""
}

// Outcome is what happens to a target after an attempt.
type Outcome struct {
	StatusCode int
	NextCall   *time.Time // nil: not to be called again (final)
	NextPhone  int
}

// AfterAttempt applies the campaign's retry rules to an attempt of phone
// (1..3) of t that ended with result at now: a final result stays final;
// a retryable one is retried after the rule's delay (the next phone of the
// target, at once when the campaign chases), until the rule's or the
// campaign's attempts are used up. attempts counts the target's attempts so
// far, this one included.
func AfterAttempt(c Campaign, t Target, phone, result, attempts int, now time.Time) Outcome {
	if !RetryableStatus(result) {
		return Outcome{StatusCode: result, NextPhone: phone}
	}
	delay, maxAttempts := defaultDelay[result], c.RetryNumber+1
	for _, r := range c.RetryRules {
		if r.StatusCode == result {
			delay = time.Duration(r.DelayMinutes) * time.Minute
			if r.MaxAttempts > 0 {
				maxAttempts = r.MaxAttempts
			}
		}
	}
	if attempts >= maxAttempts {
		return Outcome{StatusCode: StatusRetriesExhausted, NextPhone: phone}
	}
	next, wrapped := nextPhone(t, phone)
	if c.Chase && !wrapped {
		delay = 0
	}
	at := now.Add(delay)
	return Outcome{StatusCode: result, NextCall: &at, NextPhone: next}
}

// SkipDelay is how long a preview target an agent skipped waits before it
// is offered again: the campaign's retry delay for "no answer" (the
// default's hour without a rule), so that the other due targets come
// first. A skip counts no attempt.
func SkipDelay(c Campaign) time.Duration {
	for _, r := range c.RetryRules {
		if r.StatusCode == StatusNoAnswer {
			return time.Duration(r.DelayMinutes) * time.Minute
		}
	}
	return defaultDelay[StatusNoAnswer]
}

// nextPhone is the phone after phone that the target has, and whether the
// turn went back to the first.
func nextPhone(t Target, phone int) (int, bool) {
	for i := phone + 1; i <= 3; i++ {
		if t.Phone(i) != "" {
			return i, false
		}
	}
	return 1, true
}

func itoa(i int) string { return strconv.Itoa(i) }
