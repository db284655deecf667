package store

import (
	"context"
	"fmt"
	"time"
)

// CampaignLine is a dialer campaign as the supervisor console's campaign
// grid shows it: its settings and where its targets are.
type CampaignLine struct {
	ID      int    `json:"id" db:"campaign_id"`
	Name    string `json:"name" db:"name"`
	Queue   string `json:"queue" db:"queue_code"`
	Mode    string `json:"mode" db:"mode"`
	Active  bool   `json:"active" db:"is_active"`
	Targets int    `json:"targets" db:"targets"` // all its targets
	Open    int    `json:"open" db:"open"`       // ... not finished (to call again or never called)
	Dialing int    `json:"dialing" db:"dialing"` // ... being called now
	Dialled int    `json:"dialled" db:"dialled"` // ... called since the given time (today)
	Final   int    `json:"final" db:"final"`     // ... finished
	// The calls it placed since the given time (today), those a person
	// answered, and those of them abandoned (no agent within 2 s).
	Calls     int `json:"calls" db:"calls"`
	Answered  int `json:"answered" db:"answered"`
	Abandoned int `json:"abandoned" db:"abandoned"`
}

// CampaignGrid lists the campaigns that are not deleted with their
// targets' counts, dialled counting the targets last called at or after
// since, and the calls placed since then.
func (db *DB) CampaignGrid(ctx context.Context, since time.Time) ([]CampaignLine, error) {
	out := []CampaignLine{}
	err := db.SelectContext(ctx, &out, campaignGridQuery, since)
	if err != nil {
		return nil, fmt.Errorf("store: campaign grid: %w", err)
	}
	return out, nil
}

// campaignGridQuery is CampaignGrid's; its calls since $1 are read through
// the index on dialer.attempt(started_at) (migration 0034).
const campaignGridQuery = `SELECT c.campaign_id, c.name, c.queue_code, c.mode, c.is_active,
			count(t.target_id)::int AS targets,
			count(t.target_id) FILTER (WHERE NOT s.final)::int AS open,
			count(t.target_id) FILTER (WHERE t.dialing_since IS NOT NULL)::int AS dialing,
			count(t.target_id) FILTER (WHERE t.last_call_ts >= $1)::int AS dialled,
			count(t.target_id) FILTER (WHERE s.final)::int AS final,
			coalesce(max(a.calls), 0)::int AS calls,
			coalesce(max(a.answered), 0)::int AS answered,
			coalesce(max(a.abandoned), 0)::int AS abandoned
		FROM dialer.campaign c
		LEFT JOIN dialer.target t ON t.campaign_id = c.campaign_id
		LEFT JOIN dialer.status_code s ON s.status_code = t.status_code
		LEFT JOIN (SELECT campaign_id, count(*) AS calls, count(*) FILTER (WHERE human) AS answered,
				count(*) FILTER (WHERE human AND abandoned) AS abandoned
			FROM dialer.attempt WHERE started_at >= $1 GROUP BY campaign_id) a ON a.campaign_id = c.campaign_id
		WHERE NOT c.hidden
		GROUP BY c.campaign_id ORDER BY c.campaign_id`
