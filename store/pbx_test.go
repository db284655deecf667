package store_test

import (
	"testing"
	"time"

	"github.com/ccdhq/ccd/eventlog"
	"github.com/ccdhq/ccd/internal/pgtest"
	"github.com/ccdhq/ccd/pbx"
	"github.com/ccdhq/ccd/store"
)

func TestOpenPBXChannelsAreThoseWithoutHangup(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := ctxT(t)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var evs []eventlog.Event
	for _, uid := range []string{"u1", "u2", "u3"} {
		evs = append(evs, eventlog.Event{At: at, CallID: "l1", Kind: pbx.KindChannel, Source: eventlog.SourceAMI,
			Key: "ami:Newchannel:" + uid, Payload: eventlog.Payload(map[string]string{"uniqueid": uid, "channel": "PJSIP/" + uid + "-1", "number": uid})})
	}
	evs = append(evs, eventlog.Event{At: at.Add(time.Second), CallID: "l1", Kind: pbx.KindHangup, Source: eventlog.SourceAMI,
		Key: "ami:Hangup:u2", Payload: eventlog.Payload(map[string]string{"uniqueid": "u2"})})
	if err := (store.EventSink{DB: db}).Append(ctx, evs); err != nil {
		t.Fatal(err)
	}
	open, err := db.OpenPBXChannels(ctx, at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]pbx.OpenChannel{}
	for _, c := range open {
		got[c.Uniqueid] = c
	}
	if len(got) != 2 || got["u1"].Channel != "PJSIP/u1-1" || got["u3"].Linkedid != "l1" || !got["u1"].Created.Equal(at) {
		t.Fatalf("open channels %+v", open)
	}
	if later, _ := db.OpenPBXChannels(ctx, at.Add(time.Hour)); len(later) != 0 {
		t.Fatalf("channels older than since returned: %+v", later)
	}
}
