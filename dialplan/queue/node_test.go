package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
)

// The queue application's events name the Asterisk node it drives.
func TestEventsNameTheNode(t *testing.T) {
	var (
		mu  sync.Mutex
		got []eventlog.Event
	)
	a, err := New(Config{ACD: testACD(), Node: "pbx-a", Emit: func(e eventlog.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ran := make(chan struct{})
	go func() { defer close(ran); a.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	if err := a.Load(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Login(ctx, "a1", ""); err != nil {
		t.Fatal(err)
	}
	// The loop logs what a request decided before it takes the next input.
	if _, err := a.Agent(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no event logged for the login")
	}
	for _, e := range got {
		if e.Node != "pbx-a" {
			t.Fatalf("%s event names node %q", e.Kind, e.Node)
		}
	}
}
