package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The recordings' and callbacks' keys are checked at start, each error
// naming its key; a valid block loads.
func TestRecordingsAndCallbacksKeys(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"relative dir", minimal + "recordings: {dir: rec}\n", nil, "recordings.dir"},
		{"bad schedule", minimal, map[string]string{"CCD_RECORDINGS_RETENTION_SCHEDULE": "every night"}, "recordings.retention_schedule"},
		{"no days", minimal + "recordings: {retention: [{queue: sales}]}\n", nil, "recordings.retention[0].days"},
		{"twice", minimal + "recordings: {retention: [{queue: sales, days: 3}, {queue: sales, days: 4}]}\n", nil, "recordings.retention[1].queue"},
		{"endpoint", minimal, map[string]string{"CCD_CALLBACKS_DIAL_ENDPOINT": "PJSIP/trunk"}, "callbacks.dial_endpoint"},
		{"numbers", minimal, map[string]string{"CCD_CALLBACKS_NUMBERS": "(["}, "callbacks.numbers"},
		{"prompt", minimal, map[string]string{"CCD_CALLBACKS_PROMPTS_CONFIRM": " , "}, "callbacks.prompts.confirm"},
		{"key", minimal + "callbacks: {queues: [{queue: sales, offer_key: '12', max_attempts: 1, retry_interval: 1m}]}\n", nil, "callbacks.queues[0].offer_key"},
		{"attempts", minimal + "callbacks: {queues: [{queue: sales, retry_interval: 1m}]}\n", nil, "callbacks.queues[0].max_attempts"},
		{"interval", minimal + "callbacks: {queues: [{queue: sales, max_attempts: 2}]}\n", nil, "callbacks.queues[0].retry_interval"},
		{"supervisor token", minimal + "api: {token: same-token-0123456789, supervisor_token: same-token-0123456789}\n", nil, "api.supervisor_token"},
		{"short supervisor token", minimal, map[string]string{"CCD_API_SUPERVISOR_TOKEN": "short"}, "api.supervisor_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.file), envMap(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
	c, err := Load(writeFile(t, minimal+`
recordings: {dir: /srv/rec, retention_schedule: "@daily", retention: [{queue: sales, days: 90}]}
callbacks:
  dial_endpoint: PJSIP/{number}@trunk
  queues: [{queue: sales, offer_after: 60s, offer_key: "*", offer_every: 30s, max_attempts: 3, retry_interval: 5m}]
`), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	q, ok := c.Callbacks.Queue("sales")
	if !ok || q.OfferAfter != time.Minute || q.OfferKey != "*" || q.MaxAttempts != 3 || c.Recordings.Retention[0].Days != 90 {
		t.Fatalf("loaded %+v %+v", c.Callbacks, c.Recordings)
	}
	if got := Media(c.Callbacks.Prompts.Confirm, "*", "+33611"); !reflect.DeepEqual(got,
		[]string{"sound:you-entered", "digits:33611", "sound:if-correct-press", "digits:1"}) {
		t.Fatalf("confirm prompt %v", got)
	}
}
