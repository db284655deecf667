package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/eventlog"
)

// ACDOpenEvents returns what the queue application needs to rebuild its state
// after a start, in log order: every ACD event of the calls offered since since
// that have not ended, and the last state event of every agent (looking a week
// further back: an agent may stay logged in for days).
func (db *DB) ACDOpenEvents(ctx context.Context, since time.Time) ([]eventlog.Event, error) {
	var out []eventlog.Event
	err := db.SelectContext(ctx, &out, `
		SELECT id, at, call_id, kind, agent, queue, dnis, clid, source, node, key, payload FROM (
			SELECT e.* FROM call_event e
			WHERE e.source = $1 AND e.at >= $2 AND e.call_id <> '' AND e.kind LIKE 'call.%'
			  AND NOT EXISTS (SELECT 1 FROM call_event x
			                  WHERE x.call_id = e.call_id AND x.kind = 'call.ended' AND x.source = $1)
			UNION ALL
			SELECT * FROM (
				SELECT DISTINCT ON (a.agent) a.* FROM call_event a
				WHERE a.source = $1 AND a.at >= $2 - interval '6 days' AND a.agent <> '' AND a.kind LIKE 'agent.%' AND a.kind <> 'agent.logged_in'
				ORDER BY a.agent, a.id DESC
			) last_state
		) open ORDER BY id`, eventlog.SourceACD, since)
	if err != nil {
		return nil, fmt.Errorf("store: open ACD events: %w", err)
	}
	return out, nil
}
