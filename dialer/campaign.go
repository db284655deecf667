// Package dialer is the outbound side of ccd: campaigns, their schedules and
// targets, the validation of what CRMs send, the retry rules. Pacing (how many
// calls to place) is dialer/pacing; the simulation that measures it is
// dialer/sim. The SQL is in store (dialer.go); this package does no I/O.
package dialer

import (
	"strings"
	"time"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/dialer/pacing"
)

// Campaign is an outbound campaign. The JSON names of the Optimus fields are
// the Optimus web service's parameter names (seed 000 §6.1.5).
type Campaign struct {
	ID               int     `json:"campaignId" db:"campaign_id"`
	Name             string  `json:"name" db:"name"`
	CampaignPriority int     `json:"campaignPriority" db:"campaign_priority"`
	CampaignType     int     `json:"campaignType" db:"campaign_type"`
	RetryNumber      int     `json:"retryNumber" db:"retry_number"`
	NoAnswerDuration int     `json:"noAnswerDuration" db:"no_answer_duration"` // seconds
	Chase            bool    `json:"chase" db:"chase"`
	QueueCode        string  `json:"queueCode" db:"queue_code"`
	CallPriority     int     `json:"callPriority" db:"call_priority"`
	IsActive         bool    `json:"isActive" db:"is_active"`
	Mode             string  `json:"mode" db:"mode"`
	DialRatio        float64 `json:"dialRatio" db:"dial_ratio"`
	MaxDialRatio     float64 `json:"maxDialRatio" db:"max_dial_ratio"`
	MaxAbandonRate   float64 `json:"maxAbandonRate" db:"max_abandon_rate"`
	CallerID         string  `json:"callerId" db:"caller_id"`
	WindowStart      string  `json:"windowStart" db:"window_start"` // "09:00" in the targets' zone
	WindowEnd        string  `json:"windowEnd" db:"window_end"`
	TimeZone         string  `json:"timeZone" db:"time_zone"`
	NoRedialHours    int     `json:"noRedialHours" db:"no_redial_hours"`
	// AgendaFallbackMinutes: a personal callback ("Agenda") whose agent has
	// not taken it this many minutes after its time goes to any agent of
	// the campaign; nil: it waits for its agent as long as the campaign
	// runs.
	AgendaFallbackMinutes *int `json:"agendaFallbackMinutes" db:"agenda_fallback_minutes"`
	// PreviewTimeout is how long (seconds) an agent of a preview campaign
	// may hold a target before it goes back to the others.
	PreviewTimeout int `json:"previewTimeout" db:"preview_timeout"`
	// RetryRules and ScheduleIDs are stored in their own tables.
	RetryRules  []RetryRule `json:"retryRules" db:"-"`
	ScheduleIDs []int       `json:"scheduleIds" db:"-"`
}

// RetryRule is when a target whose attempt ended with StatusCode is tried
// again, and how many attempts that result may take (0: the campaign's
// retryNumber).
type RetryRule struct {
	StatusCode   int `json:"statusCode" db:"status_code"`
	DelayMinutes int `json:"delayMinutes" db:"delay_minutes"`
	MaxAttempts  int `json:"maxAttempts" db:"max_attempts"`
}

// DefaultPreviewTimeout is how long (seconds) an agent holds a preview
// target when the campaign does not say.
const DefaultPreviewTimeout = 120

// MinNoAnswer is the shortest ring before a call counts as not answered.
const MinNoAnswer = 15

// RingSeconds is how long a call of campaign c rings before it counts as
// not answered: its noAnswerDuration, never less than the law's
// MinNoAnswer (a campaign stored before the check, or a zero value).
func RingSeconds(c Campaign) int { return max(c.NoAnswerDuration, MinNoAnswer) }

// WithDefaults fills what a new campaign leaves out.
func (c Campaign) WithDefaults() Campaign {
	if c.CampaignPriority == 0 {
		c.CampaignPriority = 1
	}
	if c.NoAnswerDuration == 0 {
		c.NoAnswerDuration = 25
	}
	if c.CallPriority == 0 {
		c.CallPriority = 5
	}
	if c.Mode == "" {
		c.Mode = string(pacing.Progressive)
	}
	if c.DialRatio == 0 {
		c.DialRatio = 1
	}
	if c.MaxDialRatio == 0 {
		c.MaxDialRatio = pacing.DefaultMaxRatio
	}
	if c.MaxAbandonRate == 0 {
		c.MaxAbandonRate = pacing.DefaultMaxAbandon
	}
	if c.WindowStart == "" {
		c.WindowStart = "09:00"
	}
	if c.WindowEnd == "" {
		c.WindowEnd = "20:00"
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	if c.PreviewTimeout == 0 {
		c.PreviewTimeout = DefaultPreviewTimeout
	}
	return c
}

// Validate checks a campaign (after WithDefaults); the error names the field.
func (c Campaign) Validate() error {
	switch {
	case strings.TrimSpace(c.Name) == "":
		return ccd.Invalid("name", "is required")
	case len(c.Name) > 200:
		return ccd.Invalid("name", "is longer than 200 characters")
	case strings.TrimSpace(c.QueueCode) == "":
		return ccd.Invalid("queueCode", "is required")
	case c.RetryNumber < 0 || c.RetryNumber > 100:
		return ccd.Invalid("retryNumber", "must be 0 to 100")
	case c.NoAnswerDuration < MinNoAnswer || c.NoAnswerDuration > 300:
		return ccd.Invalid("noAnswerDuration", "must be 15 to 300 seconds (a call rings at least 15 s before it counts as not answered)")
	case c.CallPriority < 1 || c.CallPriority > 9:
		return ccd.Invalid("callPriority", "must be 1 (highest) to 9")
	case c.DialRatio < 1 || c.DialRatio > 10:
		return ccd.Invalid("dialRatio", "must be 1 to 10")
	case c.MaxDialRatio < 1 || c.MaxDialRatio > 10:
		return ccd.Invalid("maxDialRatio", "must be 1 to 10")
	case c.MaxAbandonRate <= 0 || c.MaxAbandonRate > 0.03:
		return ccd.Invalid("maxAbandonRate", "must be above 0 and at most 0.03 (3 %)")
	case c.NoRedialHours < 0 || c.NoRedialHours > 24*90:
		return ccd.Invalid("noRedialHours", "must be 0 to 2160")
	case c.AgendaFallbackMinutes != nil && (*c.AgendaFallbackMinutes < 0 || *c.AgendaFallbackMinutes > 525600):
		return ccd.Invalid("agendaFallbackMinutes", "must be 0 to 525600 minutes (a year), or null to wait for the agent")
	case c.PreviewTimeout < 10 || c.PreviewTimeout > 3600:
		return ccd.Invalid("previewTimeout", "must be 10 to 3600 seconds")
	case len(c.CallerID) > 40:
		return ccd.Invalid("callerId", "is longer than 40 characters")
	}
	if _, err := pacing.ParseMode(c.Mode); err != nil {
		return ccd.Invalid("mode", "must be preview, progressive, power or predictive")
	}
	start, err := parseClock(c.WindowStart)
	if err != nil {
		return ccd.Invalid("windowStart", err.Error())
	}
	end, err := parseClock(c.WindowEnd)
	if err != nil {
		return ccd.Invalid("windowEnd", err.Error())
	}
	if end <= start {
		return ccd.Invalid("windowEnd", "must be after windowStart")
	}
	if err := checkZone(c.TimeZone); err != nil {
		return ccd.Invalid("timeZone", err.Error())
	}
	for _, r := range c.RetryRules {
		if !RetryableStatus(r.StatusCode) {
			return ccd.Invalid("retryRules", "statusCode "+itoa(r.StatusCode)+" is not a result that can be retried")
		}
		if r.DelayMinutes < 0 || r.MaxAttempts < 0 {
			return ccd.Invalid("retryRules", "delayMinutes and maxAttempts must not be negative")
		}
	}
	return nil
}

// parseClock reads "HH:MM" (or "HH:MM:SS") as a time of day.
func parseClock(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, errString("must be a time of day like 09:00")
}

func checkZone(name string) error {
	if name == "" || name == "Local" || strings.ContainsAny(name, " \t\n") || len(name) > 64 {
		return errString("must be an IANA time zone like Europe/Paris")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return errString("must be an IANA time zone like Europe/Paris")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// Settings are the campaign's pacing settings.
func (c Campaign) Settings() pacing.Settings {
	return pacing.Settings{Mode: pacing.Mode(c.Mode), Ratio: c.DialRatio, MaxRatio: c.MaxDialRatio, MaxAbandon: c.MaxAbandonRate}
}
