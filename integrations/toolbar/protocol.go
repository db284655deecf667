// Package toolbar is the agent toolbar push, the successor of the Optimus
// Telephony OCX (Optimus API guide §2): one WebSocket per agent, over which
// ccd sends the OCX's three events as JSON envelopes carrying the seed's
// names:
//
//	{"event":"OnScreenPopUpData","clid":"0611","dnis":"5550100","attachData":"cust=4711","callId":"c1","urls":["https://crm/pop?phone=0611"]}
//	{"event":"OnQueuesInfoData","data":"3|sales|Sales|12|40|1|5|4|1|0|0|"}
//	{"event":"OnCall","callId":"c1","isAnswer":1,"isRecorded":1}
//
// OnScreenPopUpData comes when a call is offered to the agent (its phone
// rings), before the agent answers, with the queue's screen pop URLs
// (integrations/screenpop). OnQueuesInfoData comes every toolbar.interval,
// with the queue string (one group per queue the agent serves) or the agent
// string, as the client chose when it connected. OnCall comes with isAnswer
// 1 when the agent answers an ACD call and 0 when that call ends.
//
// Live events come from the event log's in-process fan-out (eventlog.Hub),
// the figures from the live statistics (stat.devicestat, stat.agentstat) and
// the ACD's present (waiting calls).
package toolbar

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd/store"
)

// The envelopes' event names, the OCX's.
const (
	EventScreenPop  = "OnScreenPopUpData"
	EventQueuesInfo = "OnQueuesInfoData"
	EventCall       = "OnCall"
)

// ScreenPop is OnScreenPopUpData: the call offered to the agent.
type ScreenPop struct {
	Event      string   `json:"event"`
	CLID       string   `json:"clid"`
	DNIS       string   `json:"dnis"`
	AttachData string   `json:"attachData"`
	CallID     string   `json:"callId"`
	Queue      string   `json:"queue"`
	URLs       []string `json:"urls"`
	// DefaultTransferNumber is the number the CRM offers for a transfer
	// (the SQL hook Call Start, the X-Transfer header); absent when none.
	DefaultTransferNumber string `json:"defaultTransferNumber,omitempty"`
}

// QueuesInfo is OnQueuesInfoData: the pipe string of the seed.
type QueuesInfo struct {
	Event string `json:"event"`
	Data  string `json:"data"`
}

// Call is OnCall: 1 when the agent answers, 0 when the call ends.
type Call struct {
	Event      string `json:"event"`
	CallID     string `json:"callId"`
	IsAnswer   int    `json:"isAnswer"`
	IsRecorded int    `json:"isRecorded"`
}

// Views a client chooses between when it connects (?view=).
const (
	ViewQueues = "queues" // "3|" one group per queue the agent serves
	ViewAgent  = "agent"  // "4|" the agent's own figures
)

// encode writes a message; & < > in URLs stay as they are (a toolbar is not
// an HTML page).
func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // plain structs of strings and ints
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// QueueLine is one queue's group of the "3|" string.
type QueueLine struct {
	Code, Name string
	Waiting    int // calls waiting in the queue now
	Figures    store.ToolbarQueue
}

// QueuesString is the "3|" string of the seed: for each queue
// QueueCode|Name|AvgWait|MaxWait|Waiting|Offered|Answered|Returned|Abandoned|Tran2Def|
// after a leading "3|". Times are whole seconds. Returned is the seed's sum:
// returned from agents, from the default number, from a route, plus
// inflowed (ccd has no way back from the default number or a route: a call
// sent there has left ccd, and comes back as a new call).
func QueuesString(lines []QueueLine) string {
	var b strings.Builder
	b.WriteString("3|")
	for _, q := range lines {
		f := q.Figures
		avg := int64(0)
		if f.Answered > 0 {
			avg = (f.SumAnswerTime + f.Answered/2) / f.Answered
		}
		field(&b, q.Code)
		field(&b, q.Name)
		num(&b, avg, f.MaxAnswerTime, int64(q.Waiting), f.Offered, f.Answered, f.RetFromAgent+f.Inflowed, f.Abandoned, f.Tran2Def)
	}
	return b.String()
}

// AgentString is the "4|" string of the seed:
// 4|AgentCode|Offered|Returned|Answered|DirectIn|ExtOut|IntOut|Waiting|NotReadyTime|
func AgentString(agent string, f store.ToolbarAgent, waiting int) string {
	var b strings.Builder
	b.WriteString("4|")
	field(&b, agent)
	num(&b, f.Offered, f.Recalled, f.Answered, f.DirectIn, f.ExtOut, f.IntOut, int64(waiting), f.NotReadyTime)
	return b.String()
}

// field writes a text and its separator; a | inside a name would shift
// every field after it, so it becomes a space.
func field(b *strings.Builder, s string) {
	b.WriteString(strings.ReplaceAll(s, "|", " "))
	b.WriteByte('|')
}

func num(b *strings.Builder, vs ...int64) {
	for _, v := range vs {
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteByte('|')
	}
}
