package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ccdhq/ccd/acd"
	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/store"
	"github.com/lib/pq"
)

// copyEvents is COPY in pq's form: prepared in a transaction, each Exec sends
// one row, an Exec without arguments ends the copy. (pq.CopyIn only builds
// this string, and is deprecated for writing it directly.)
const copyEvents = `COPY call_event (at, call_id, kind, agent, queue, dnis, clid, source, key, payload) FROM STDIN`

// batchSize is how many events travel from the generator to the loader at a
// time: big enough that the channel costs nothing, small enough to keep the
// memory of the pipeline at a few MB.
const batchSize = 4096

// loadStep generates the month and copies it into call_event while it is being
// generated: the two overlap on two cores, and ten million events never sit in
// memory. The table's secondary indexes are dropped for the copy and built
// again afterwards, which is faster than maintaining them row by row.
func loadStep(ctx context.Context, db *store.DB, cfg Config) error {
	// One connection for everything: SET and the index builds belong
	// together, and the COPY holds its connection anyway.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	idx, err := dropIndexes(ctx, conn)
	if err != nil {
		return err
	}
	restored := false
	defer func() {
		if !restored {
			// Leave the table usable even when the load failed.
			_ = idx.restore(context.Background(), conn)
		}
	}()

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []eventlog.Event, 16)
	var (
		sum     Summary
		genErr  error
		genBusy time.Duration
	)
	start := time.Now()
	go func() {
		defer close(batches)
		var blocked time.Duration
		batch := make([]eventlog.Event, 0, batchSize)
		send := func() error {
			t := time.Now()
			select {
			case batches <- batch:
			case <-gctx.Done():
				return gctx.Err()
			}
			blocked += time.Since(t)
			batch = make([]eventlog.Event, 0, batchSize)
			return nil
		}
		sum, genErr = Generate(cfg, func(ev eventlog.Event) error {
			batch = append(batch, ev)
			if len(batch) < batchSize {
				return nil
			}
			return send()
		})
		if genErr == nil && len(batch) > 0 {
			genErr = send()
		}
		// Time spent waiting for the loader is not the generator's.
		genBusy = time.Since(start) - blocked
	}()

	loaded, err := copyIn(ctx, conn, batches)
	if err != nil {
		cancel()
		for range batches {
			// let the generator see the cancellation and stop
		}
		return err
	}
	if genErr != nil {
		return genErr
	}
	copyTook := time.Since(start)

	t := time.Now()
	if err := idx.restore(ctx, conn); err != nil {
		return err
	}
	restored = true
	indexTook := time.Since(t)
	// What autovacuum does to a table that just grew by millions of rows,
	// done now rather than during the steps that are timed: a live event log
	// has long been vacuumed, and a vacuum running beside a step takes one of
	// the machine's cores.
	t = time.Now()
	if _, err := conn.ExecContext(ctx, `VACUUM (ANALYZE) call_event`); err != nil {
		return err
	}
	analyzeTook := time.Since(t)
	var size int64
	if err := conn.QueryRowContext(ctx, `SELECT pg_total_relation_size('call_event')`).Scan(&size); err != nil {
		return err
	}

	fmt.Printf("1 generate+load: %s events of %s calls generated in %.1f s of generator time (%s events/s); "+
		"COPY %s events in %.1f s (%s events/s); indexes %.1f s, VACUUM ANALYZE %.1f s; total %.1f s, table %.1f GB\n",
		thousands(int64(sum.Events)), thousands(int64(sum.Calls)), genBusy.Seconds(), thousands(int64(float64(sum.Events)/genBusy.Seconds())),
		thousands(loaded), copyTook.Seconds(), thousands(int64(float64(loaded)/copyTook.Seconds())),
		indexTook.Seconds(), analyzeTook.Seconds(), time.Since(start).Seconds(), float64(size)/(1<<30))
	pct := func(n int) string { return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(sum.Calls)) }
	fmt.Printf("  calls: talked %s, abandoned waiting %s, abandoned ringing %s, transferred or sent to default %s; "+
		"%s answers, %s offers returned, %s holds, %s transfers, %s overflows, %s agent events; %s .. %s\n",
		pct(sum.ByEnd[acd.EndTalked]), pct(sum.ByEnd[acd.EndAbandoned]), pct(sum.ByEnd[acd.EndAbandonedRinging]),
		pct(sum.ByEnd[acd.EndTransferred]), thousands(int64(sum.Answered)), thousands(int64(sum.Returned)),
		thousands(int64(sum.Holds)), thousands(int64(sum.Transfers)), thousands(int64(sum.Overflows)),
		thousands(int64(sum.AgentEvents)), sum.First.Format(time.DateTime), sum.Last.Format(time.DateTime))
	return nil
}

// copyIn copies the batches into call_event in one transaction and returns how
// many rows it sent.
func copyIn(ctx context.Context, conn *sql.Conn, batches <-chan []eventlog.Event) (int64, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, copyEvents)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var n int64
	for b := range batches {
		for i := range b {
			ev := &b[i]
			// The payload goes as text: a []byte would be sent as bytea.
			if _, err := st.ExecContext(ctx, ev.At, ev.CallID, ev.Kind, ev.Agent, ev.Queue, ev.DNIS, ev.CLID, ev.Source,
				ev.Key, string(ev.Payload)); err != nil {
				return n, fmt.Errorf("copy: %w", err)
			}
		}
		n += int64(len(b))
	}
	if _, err := st.ExecContext(ctx); err != nil {
		return n, fmt.Errorf("copy: %w", err)
	}
	if err := st.Close(); err != nil {
		return n, err
	}
	return n, tx.Commit()
}

// tableIndexes are call_event's secondary indexes as the database describes
// them, read before dropping so that whatever the migrations define comes
// back exactly.
type tableIndexes struct {
	defs []index
}

type index struct {
	name, def  string
	constraint string // the unique constraint the index backs, if any
}

// dropIndexes drops every index of call_event except the primary key (the
// unique key constraint included: a bulk load of fresh keys needs no check).
func dropIndexes(ctx context.Context, conn *sql.Conn) (tableIndexes, error) {
	var out tableIndexes
	rows, err := conn.QueryContext(ctx, `
		SELECT i.relname, pg_get_indexdef(x.indexrelid), coalesce(c.conname, '')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
		WHERE x.indrelid = 'call_event'::regclass AND NOT x.indisprimary AND coalesce(c.contype, 'u') = 'u'
		ORDER BY i.relname`)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def, &ix.constraint); err != nil {
			rows.Close()
			return out, err
		}
		out.defs = append(out.defs, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, ix := range out.defs {
		q := `DROP INDEX ` + pq.QuoteIdentifier(ix.name)
		if ix.constraint != "" {
			q = `ALTER TABLE call_event DROP CONSTRAINT ` + pq.QuoteIdentifier(ix.constraint)
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return out, err
		}
	}
	return out, nil
}

// restore builds the indexes again, with enough memory for each build to sort
// in one pass.
func (t tableIndexes) restore(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SET maintenance_work_mem = '1GB'`); err != nil {
		return err
	}
	for _, ix := range t.defs {
		if _, err := conn.ExecContext(ctx, ix.def); err != nil {
			return fmt.Errorf("rebuild index %s: %w", ix.name, err)
		}
		if ix.constraint != "" {
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE call_event ADD CONSTRAINT %s UNIQUE USING INDEX %s`,
				pq.QuoteIdentifier(ix.constraint), pq.QuoteIdentifier(ix.name))); err != nil {
				return fmt.Errorf("rebuild constraint %s: %w", ix.constraint, err)
			}
		}
	}
	_, err := conn.ExecContext(ctx, `RESET maintenance_work_mem`)
	return err
}
