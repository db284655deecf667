package config

import (
	"fmt"
	"path/filepath"

	"github.com/robfig/cron/v3"
)

// Recordings says where Asterisk keeps call recordings and how long they are
// kept.
type Recordings struct {
	// Dir is Asterisk's recording directory (astspooldir/recording), where
	// ARI writes the recordings ccd starts; ccd reads and deletes files in it
	// and nowhere else.
	Dir string `yaml:"dir"`
	// RetentionSchedule is when the retention rules run: a cron spec (five
	// fields, or @daily, @every 1h).
	RetentionSchedule string `yaml:"retention_schedule"`
	// Retention deletes the recordings of a queue's calls offered more than
	// Days days ago. A queue without a rule keeps its recordings.
	Retention []RetentionRule `yaml:"retention"`
}

// RetentionRule is one queue's retention.
type RetentionRule struct {
	Queue string `yaml:"queue"`
	Days  int    `yaml:"days"`
}

// DefaultRecordings is Asterisk's default recording directory, with the
// retention run at night.
func DefaultRecordings() Recordings {
	return Recordings{Dir: "/var/spool/asterisk/recording", RetentionSchedule: "17 3 * * *"}
}

func (r *Recordings) validate(bad func(key, format string, args ...any)) {
	if r.Dir == "" || !filepath.IsAbs(r.Dir) {
		bad("recordings.dir", "want an absolute directory, got %q", r.Dir)
	}
	if _, err := cron.ParseStandard(r.RetentionSchedule); err != nil {
		bad("recordings.retention_schedule", "not a cron schedule: %v", err)
	}
	seen := map[string]bool{}
	for i, rule := range r.Retention {
		key := fmt.Sprintf("recordings.retention[%d]", i)
		switch {
		case rule.Queue == "":
			bad(key+".queue", "is required")
		case seen[rule.Queue]:
			bad(key+".queue", "queue %q has a rule already", rule.Queue)
		}
		seen[rule.Queue] = true
		if rule.Days < 1 {
			bad(key+".days", "must be at least 1, got %d", rule.Days)
		}
	}
}
