package ari_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccdhq/ccd/ari"
)

// A burst of REST calls reuses the connections of the previous burst:
// Asterisk starts a thread for every new HTTP connection.
func TestBurstsOfRESTCallsReuseConnections(t *testing.T) {
	const calls = 16
	var opened atomic.Int64
	var gate atomic.Pointer[chan struct{}]
	arrived := make(chan struct{}, calls)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ari/channels" {
			http.NotFound(w, r) // the websocket: not part of the count
			return
		}
		arrived <- struct{}{}
		<-*gate.Load() // every call of the burst is in flight at once
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ari.Connect(ctx, ari.Config{URL: srv.URL, Username: "u", Password: "p", Application: "ccd"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	burst := func() int64 {
		before := opened.Load()
		g := make(chan struct{})
		gate.Store(&g)
		var done sync.WaitGroup
		for i := 0; i < calls; i++ {
			done.Add(1)
			go func() {
				defer done.Done()
				if _, err := c.ListChannels(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		for i := 0; i < calls; i++ {
			<-arrived
		}
		close(g)
		done.Wait()
		return opened.Load() - before
	}
	burst()
	if again := burst(); again != 0 {
		t.Fatalf("the second burst of %d calls opened %d new connections", calls, again)
	}
}
