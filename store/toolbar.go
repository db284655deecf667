package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/stats"
)

// ToolbarQueue is a queue's figures since a moment, as the agent toolbar's
// queue string (Optimus OCX OnQueuesInfoData "3|") needs them, from
// stat.devicestat.
type ToolbarQueue struct {
	Offered       int64 // routed or transferred here; not inflowed (the seed's definition)
	Answered      int64
	RetFromAgent  int64
	Inflowed      int64
	Abandoned     int64 // while waiting in the queue
	Tran2Def      int64
	SumAnswerTime int64 // seconds
	MaxAnswerTime int64 // seconds
}

// ToolbarQueues sums each queue's figures (by queue code) over the
// quarter-hours starting at or after since.
func (db *DB) ToolbarQueues(ctx context.Context, since time.Time) (map[string]ToolbarQueue, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.name, sum(d.offered), sum(d.answered), sum(d.retfromagent), sum(d.inflowed),
			sum(d.abandoned), sum(d.tran2def), sum(d.sumanswertime), coalesce(max(d.maxanswertime), 0)
		FROM stat.devicestat d JOIN stat.code c ON c.kind = 'queue' AND c.code = d.devicecode
		WHERE d.devicetype = $1 AND d.thedate >= $2
		GROUP BY c.name`, stats.DevQueue, since)
	if err != nil {
		return nil, fmt.Errorf("store: toolbar queues: %w", err)
	}
	defer rows.Close()
	out := map[string]ToolbarQueue{}
	for rows.Next() {
		var name string
		var q ToolbarQueue
		if err := rows.Scan(&name, &q.Offered, &q.Answered, &q.RetFromAgent, &q.Inflowed, &q.Abandoned, &q.Tran2Def,
			&q.SumAnswerTime, &q.MaxAnswerTime); err != nil {
			return nil, fmt.Errorf("store: toolbar queues: %w", err)
		}
		out[name] = q
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: toolbar queues: %w", err)
	}
	return out, nil
}

// ToolbarAgent is an agent's figures since a moment, as the agent toolbar's
// agent string ("4|") needs them, from stat.agentstat.
type ToolbarAgent struct {
	Offered      int64 // ACD calls offered
	Recalled     int64 // ... returned from the agent (not answered)
	Answered     int64 // ACD calls answered
	DirectIn     int64 // direct incoming calls answered, internal and external
	ExtOut       int64 // external outgoing calls dialled
	IntOut       int64 // internal outgoing calls dialled
	NotReadyTime int64 // seconds
}

// ToolbarAgents sums each agent's figures (by agent id) over the
// quarter-hours starting at or after since.
func (db *DB) ToolbarAgents(ctx context.Context, since time.Time) (map[string]ToolbarAgent, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.name, sum(a.acdoffered), sum(a.acdrecalled), sum(a.acdanswered),
			sum(a.inanswered + a.exanswered), sum(a.extdialed), sum(a.intdialed), sum(a.notreadytime)
		FROM stat.agentstat a JOIN stat.code c ON c.kind = 'agent' AND c.code = a.usercode
		WHERE a.thedate >= $1
		GROUP BY c.name`, since)
	if err != nil {
		return nil, fmt.Errorf("store: toolbar agents: %w", err)
	}
	defer rows.Close()
	out := map[string]ToolbarAgent{}
	for rows.Next() {
		var name string
		var a ToolbarAgent
		if err := rows.Scan(&name, &a.Offered, &a.Recalled, &a.Answered, &a.DirectIn, &a.ExtOut, &a.IntOut, &a.NotReadyTime); err != nil {
			return nil, fmt.Errorf("store: toolbar agents: %w", err)
		}
		out[name] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: toolbar agents: %w", err)
	}
	return out, nil
}

// LastEventID is the id of the newest event in the log (0 when empty): a
// consumer that must not replay the past starts there.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM call_event`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last event id: %w", err)
	}
	return id, nil
}
