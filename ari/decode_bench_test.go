package ari

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// captureLines returns every websocket message of the Asterisk 22 captures.
func captureLines(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob("../testdata/captures/*.ari.jsonl")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no captures: %v", err)
	}
	var lines [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
				lines = append(lines, bytes.Clone(l))
			}
		}
	}
	return lines
}

// BenchmarkDecode measures Decode over all captured events, round robin.
func BenchmarkDecode(b *testing.B) {
	lines := captureLines(b)
	var n int
	for _, l := range lines {
		n += len(l)
	}
	b.SetBytes(int64(n / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeStdlib is the reference point: encoding/json into the same
// struct shapes with reflection (timestamps left as strings, which is
// cheaper than what Decode does).
func BenchmarkDecodeStdlib(b *testing.B) {
	lines := captureLines(b)
	type callerID struct{ Name, Number string }
	type dialplan struct {
		Context, Exten string
		Priority       int64
		AppName        string `json:"app_name"`
		AppData        string `json:"app_data"`
	}
	type channel struct {
		ID, Name, State, Language string
		ProtocolID                string `json:"protocol_id"`
		Caller, Connected         callerID
		AccountCode               string `json:"accountcode"`
		Dialplan                  dialplan
		CreationTime              string `json:"creationtime"`
	}
	type generic struct {
		Type, Timestamp, Application string
		AsteriskID                   string `json:"asterisk_id"`
		Channel, Peer                *channel
		Args                         []string
		Cause                        int
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var g generic
		if err := json.Unmarshal(lines[i%len(lines)], &g); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
