package flow

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// dbFlow: key in a customer number, look the customer up, read the balance
// back to a known one, queue the unknown ones, apologise on a failure.
func dbFlow() Flow {
	return Flow{Name: "self", Start: "id", Nodes: []Node{
		{ID: "id", Identify: &Identify{Prompt: []string{"sound:enter-id"}, Length: 4, Found: "lookup", NotFound: "queue:support"}},
		{ID: "lookup", Database: &Database{Database: "crm",
			Query: "SELECT balance, tier AS priority FROM customers WHERE id = %CUSTOMER_NUMBER% AND phone = %ani%",
			Store: map[string]string{"Balance": "balance", "priority": "priority"},
			Found: "say", NotFound: "queue:support", Error: "sorry"}},
		{ID: "say", Say: &Say{Field: "balance", Number: true, Next: "queue:sales"}},
		{ID: "sorry", Play: &Play{Sounds: []string{"sound:sorry"}, Next: "queue:support"}},
	}}
}

// queried returns the database step the call asks for and answers it.
func (k *caller) queried(r QueryResult) *Query {
	k.t.Helper()
	for i := len(k.actions) - 1; i >= 0; i-- {
		if a := k.actions[i]; a.Kind == ActQuery {
			k.feed(Input{Kind: InQuery, ID: a.ID, Query: r})
			return a.Query
		}
	}
	k.t.Fatalf("no database step asked for; actions %v", kinds(k.actions))
	return nil
}

func TestDatabaseStepFoundNotFoundAndError(t *testing.T) {
	f := compile(t, dbFlow(), Refs{})
	run := func(r QueryResult) (*caller, *Query) {
		k := start(t, f, Env{}, map[string]string{FieldANI: "0611"})
		k.promptEnds()
		k.press("1234")
		return k, k.queried(r)
	}

	k, q := run(QueryResult{Found: true, Columns: map[string]string{"balance": "250", "priority": "2", "other": "x"}})
	if q.Step != f.Flow.Nodes[1].Database || q.Values[FieldCustomerNumber] != "1234" || q.Values[FieldANI] != "0611" {
		t.Fatalf("query %+v", q)
	}
	k.promptEnds() // the balance is said
	if got := k.ended(); got != "queue:sales" {
		t.Fatalf("found: ended at %s", got)
	}
	if k.c.Profile.Get("balance") != "250" || k.c.Profile.Int(FieldPriority) != 2 || k.c.Profile.Get("other") != "" {
		t.Fatalf("profile %v", k.c.Profile.Values())
	}
	said := false
	for _, a := range k.actions {
		said = said || a.Kind == ActPlay && reflect.DeepEqual(a.Media, []string{"number:250"})
	}
	if !said {
		t.Fatalf("the balance was not said: %v", kinds(k.actions))
	}

	if k, _ = run(QueryResult{}); k.ended() != "queue:support" {
		t.Fatalf("not found: ended at %s", k.ended())
	}

	k, _ = run(QueryResult{Err: errors.New("crm: timeout after 2s")})
	k.promptEnds()
	if k.ended() != "queue:support" || len(k.failures()) != 1 || !strings.Contains(k.failures()[0], "timeout") {
		t.Fatalf("error: ended at %s, failures %v", k.ended(), k.failures())
	}
}

// Without a Store map every column goes to the field of its name; a value a
// field refuses is a failed step, the rest is stored.
func TestDatabaseStepStoresEveryColumnByDefault(t *testing.T) {
	fl := dbFlow()
	fl.Nodes[1].Database.Store = nil
	f := compile(t, fl, Refs{})
	k := start(t, f, Env{}, nil)
	k.promptEnds()
	k.press("1234")
	k.queried(QueryResult{Found: true, Columns: map[string]string{"balance": "7", "priority": "12", "account": "A-1"}})
	if k.c.Profile.Get("balance") != "7" || k.c.Profile.Get("account") != "A-1" || k.c.Profile.Get(FieldPriority) != "" {
		t.Fatalf("profile %v", k.c.Profile.Values())
	}
	if len(k.failures()) != 1 || !strings.Contains(k.failures()[0], "priority") {
		t.Fatalf("failures %v", k.failures())
	}
}

// A digit or a stale answer while the step runs changes nothing; a caller
// who hangs up leaves the flow abandoned.
func TestDatabaseStepIgnoresDigitsAndStaleAnswers(t *testing.T) {
	f := compile(t, dbFlow(), Refs{})
	k := start(t, f, Env{}, nil)
	k.promptEnds()
	k.press("1234")
	if got := k.feed(Input{Kind: InDigit, Digit: "5"}); len(got) != 0 {
		t.Fatalf("a digit during the step: %v", kinds(got))
	}
	if got := k.feed(Input{Kind: InQuery, ID: 99, Query: QueryResult{Found: true}}); len(got) != 0 {
		t.Fatalf("a stale answer: %v", kinds(got))
	}
	k.feed(Input{Kind: InHangup})
	if !k.c.Done() {
		t.Fatal("the call is still in the flow")
	}
}

func TestDatabaseStepValidation(t *testing.T) {
	refs := Refs{
		Database: func(n string) (string, bool) {
			return map[string]string{"crm": "postgres", "lite": "sqlite"}[n], n == "crm" || n == "lite"
		},
		Statement: func(d *Database) error {
			if strings.Contains(d.Query, "?") {
				return errors.New("placeholder ? at offset 3: use %Name% fields")
			}
			return nil
		},
	}
	node := func(d Database) Flow {
		if d.Found == "" {
			d.Found, d.NotFound, d.Error = "hangup", "hangup", "hangup"
		}
		return Flow{Name: "f", Start: "d", Nodes: []Node{{ID: "d", Database: &d}}}
	}
	for _, c := range []struct {
		name string
		f    Flow
		key  string
		want string
	}{
		{"unknown database", node(Database{Database: "nope", Query: "select 1"}), "d database.database", `unknown database "nope"`},
		{"no database", node(Database{Query: "select 1"}), "d database.database", "is required"},
		{"query and procedure", node(Database{Database: "crm", Query: "select 1", Procedure: "p"}), "d database.query", "exactly one"},
		{"sqlite procedure", node(Database{Database: "lite", Procedure: "p"}), "d database.procedure", "SQLite"},
		{"bad procedure", node(Database{Database: "crm", Procedure: "p; drop table x"}), "d database.procedure", "routine name"},
		{"params with a query", node(Database{Database: "crm", Query: "select 1", Params: []string{"ani"}}), "d database.params", "only a procedure"},
		{"bad param", node(Database{Database: "crm", Procedure: "p", Params: []string{"a b"}}), "d database.params[0]", "field name"},
		{"driver refuses", node(Database{Database: "crm", Query: "select * from t where a = ?"}), "d database.query", "placeholder ?"},
		{"bad store", node(Database{Database: "crm", Query: "select 1", Store: map[string]string{"x": "not a field"}}), "d database.store.x", "field name"},
		{"store on a write", node(Database{Database: "crm", Query: "update t set a = 1", Write: true, Store: map[string]string{"x": "y"}}), "d database.store", "write returns no columns"},
		{"no error way", Flow{Name: "f", Start: "d", Nodes: []Node{{ID: "d", Database: &Database{Database: "crm", Query: "select 1", Found: "hangup", NotFound: "hangup"}}}}, "d database.error", "is required"},
		{"loop", Flow{Name: "f", Start: "d", Nodes: []Node{{ID: "d", Database: &Database{Database: "crm", Query: "select 1", Found: "hangup", NotFound: "d", Error: "hangup"}}}}, "d database.not_found", "loop without a prompt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := problemsOf(c.f, refs)
			if !strings.Contains(got[c.key], c.want) {
				t.Fatalf("problem at %q = %q, want %q; all: %v", c.key, got[c.key], c.want, got)
			}
		})
	}
	if p := Validate(new(dbFlow()), refs); len(p) > 0 {
		t.Fatalf("a valid flow: %v", p)
	}
}
