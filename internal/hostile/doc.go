// Package hostile holds a regression suite and nothing else: it starts ccd's real
// wiring against the fake Asterisk servers and a real PostgreSQL, sends a corpus of
// hostile values to every parameter of every HTTP route, as every kind of caller,
// and checks that each answer is a correct 2xx or a 4xx naming the parameter, that
// nothing panics or answers 500, and that the event log still writes afterwards.
//
// The table of routes and parameters is in routes_test.go; a test fails when the
// server registers a route the table does not describe.
package hostile
