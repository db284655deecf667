package store

import "context"

// MigrateUpTo applies the migrations up to version only: a test fills the
// older schema, then Migrate shows what the later migrations do to its data.
func (db *DB) MigrateUpTo(ctx context.Context, version int) ([]int, error) {
	return db.migrate(ctx, version)
}

// CampaignGridQuery is CampaignGrid's statement, for EXPLAIN.
const CampaignGridQuery = campaignGridQuery
