package callback

import (
	"reflect"
	"testing"
)

// The agent hears that it is a callback, the queue, and the number digit by
// digit.
func TestWhisper(t *testing.T) {
	if got := Whisper("sales", "+33611223344"); !reflect.DeepEqual(got, []string{"sound:beep", "characters:sales", "digits:33611223344"}) {
		t.Fatalf("whisper %v", got)
	}
}

// An unanswered customer leg's cause is the attempt's result.
func TestResultOfCause(t *testing.T) {
	for cause, want := range map[int]string{17: "busy", 19: "no_answer", 18: "no_answer", 0: "no_answer", 20: "failed", 34: "failed"} {
		if got := resultOf(cause); got != want {
			t.Errorf("cause %d: %s, want %s", cause, got, want)
		}
	}
}
