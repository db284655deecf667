package stats

import (
	"strings"
)

// DDL is the CREATE TABLE text of the quarter-hour tables, generated from Tables
// so that the schema and the aggregator cannot disagree. The migration that
// creates schema stat holds this text verbatim (a test compares them).
//
// Types are wider than the seed's: Optimus declares seconds and counts Smallint
// (at most 32,767, nine hours), which a real center overflows in a day; here they
// are integer. Codes are integer too. thedate and calcts are timestamptz, so the
// repeated hour of a DST change is two distinct sets of rows.
func DDL() string {
	var b strings.Builder
	for _, t := range Tables {
		b.WriteString("CREATE TABLE stat." + t.Name + " (\n")
		b.WriteString("    calcts timestamptz NOT NULL,\n")
		b.WriteString("    thedate timestamptz NOT NULL,\n")
		b.WriteString("    themonth varchar(7) NOT NULL,\n")
		b.WriteString("    theweek varchar(11) NOT NULL,\n")
		b.WriteString("    theday varchar(10) NOT NULL,\n")
		b.WriteString("    thehour varchar(5) NOT NULL,\n")
		for _, k := range t.Keys {
			b.WriteString("    " + k + " integer NOT NULL,\n")
		}
		if t.Name == "routerstat" {
			b.WriteString("    blocktype smallint,\n")
		}
		for _, c := range t.Cols {
			if c.Op == Sum {
				b.WriteString("    " + c.Name + " integer NOT NULL DEFAULT 0,\n")
			} else {
				b.WriteString("    " + c.Name + " integer,\n")
			}
		}
		b.WriteString("    PRIMARY KEY (" + strings.Join(t.Keys, ", ") + ", thedate)\n);\n")
		b.WriteString("CREATE INDEX " + t.Name + "_thedate ON stat." + t.Name + " (thedate);\n\n")
	}
	return b.String()
}
