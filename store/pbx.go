package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/pbx"
)

// OpenPBXChannels returns the channels the AMI observer saw appear since since and
// has not seen end: the calls that were up when ccd last stopped.
func (db *DB) OpenPBXChannels(ctx context.Context, since time.Time) ([]pbx.OpenChannel, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT c.payload->>'uniqueid', c.call_id, coalesce(c.payload->>'channel', ''), coalesce(c.payload->>'number', ''), c.at
		FROM call_event c
		WHERE c.kind = $1 AND c.at >= $2
		  AND NOT EXISTS (SELECT 1 FROM call_event h WHERE h.key = 'ami:Hangup:' || (c.payload->>'uniqueid'))`,
		pbx.KindChannel, since)
	if err != nil {
		return nil, fmt.Errorf("store: open channels: %w", err)
	}
	defer rows.Close()
	var out []pbx.OpenChannel
	for rows.Next() {
		var c pbx.OpenChannel
		if err := rows.Scan(&c.Uniqueid, &c.Linkedid, &c.Channel, &c.Number, &c.Created); err != nil {
			return nil, fmt.Errorf("store: open channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
