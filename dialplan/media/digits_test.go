package media

import "testing"

func TestDigitsEndAtTerminatorOrMax(t *testing.T) {
	d := Digits{Max: 4, Terminator: "#"}
	for _, x := range []string{"1", "2"} {
		if d.Add(x) {
			t.Fatalf("complete after %q", d.Value())
		}
	}
	if !d.Add("#") || d.Value() != "12" {
		t.Fatalf("terminator: done %v value %q", d.Done(), d.Value())
	}
	if d.Add("3"); d.Value() != "12" {
		t.Fatalf("a digit after the end was kept: %q", d.Value())
	}
	m := Digits{Max: 3}
	var done bool
	for _, x := range []string{"9", "8", "7"} {
		done = m.Add(x)
	}
	if !done || m.Value() != "987" {
		t.Fatalf("max: done %v value %q", done, m.Value())
	}
}
