package stats

import (
	"os"
	"strings"
	"testing"
)

// The migration creating schema stat must hold the DDL generated from Tables:
// a column added to the aggregator without its column in the schema fails here.
func TestMigrationHoldsGeneratedDDL(t *testing.T) {
	b, err := os.ReadFile("../store/migrations/0002_stat.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), DDL()) {
		t.Fatal("store/migrations/0002_stat.sql does not contain stats.DDL(); regenerate the quarter-hour tables part")
	}
}
