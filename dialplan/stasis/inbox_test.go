package stasis

import "testing"

// What is pushed comes out of Take in order, announced by one token on
// Ready however many pushes came before the loop looked.
func TestInboxKeepsOrderAndSignalsOnce(t *testing.T) {
	b := NewInbox()
	var got []int
	for i := range 3 {
		b.Push(func() { got = append(got, i) })
	}
	select {
	case <-b.Ready():
	default:
		t.Fatal("no token after a push")
	}
	select {
	case <-b.Ready():
		t.Fatal("a second token for the same items")
	default:
	}
	for _, f := range b.Take() {
		f()
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("ran %v, want [0 1 2]", got)
	}
	if rest := b.Take(); len(rest) != 0 {
		t.Fatalf("%d items left after Take", len(rest))
	}
}
