package dialer

import (
	"context"
	"testing"

	"github.com/ccdhq/ccd/ari"
	"github.com/ccdhq/ccd/dialplan"
	"github.com/ccdhq/ccd/dialplan/queue"
	"github.com/ccdhq/ccd/dialplan/stasis"
)

type fakeQueue struct{ got []string }

func (q *fakeQueue) Start(*ari.StasisStart, []string) {}
func (q *fakeQueue) Handle(e ari.Event)               { q.got = append(q.got, e.EventType()) }
func (q *fakeQueue) Enqueue(dialplan.Arrival)         {}
func (q *fakeQueue) TakeBack(context.Context, string, stasis.App) (queue.TakeBack, error) {
	return queue.CallGone, nil
}

// After a restart the dispatcher gives a person talking to an agent back to
// the dialer (the channel entered with "dialer"): the dialer hands it to the
// queue, which restored the call, with the event.
func TestAChannelOfTheLastRunGoesToTheQueue(t *testing.T) {
	q := &fakeQueue{}
	d := stasis.New(stasis.Config{Default: "inbound"})
	app := New(Config{Queue: q, Owners: d})
	d.Register(Entry, app)
	d.Adopt([]ari.Channel{{ID: "dialer-9", Dialplan: ari.DialplanCEP{AppName: "Stasis", AppData: "ccd,dialer,amd"}}})
	d.Dispatch(&ari.ChannelHangupRequest{Channel: ari.Channel{ID: "dialer-9"}})
	d.Dispatch(&ari.StasisEnd{Channel: ari.Channel{ID: "dialer-9"}})
	if len(q.got) != 2 || q.got[0] != "ChannelHangupRequest" || q.got[1] != "StasisEnd" {
		t.Fatalf("the queue got %v", q.got)
	}
	if owner, _ := d.Owner("dialer-9"); owner != nil {
		t.Fatalf("still owned by %T after its end", owner)
	}
}
