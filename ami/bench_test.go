package ami

import (
	"bytes"
	"io"
	"testing"
)

// benchmarkCaptures parses every capture once per iteration, from memory,
// and reports throughput in events per second. With a filter, skipped events
// count as processed: skipping them is the work being measured.
func benchmarkCaptures(b *testing.B, filter func([]byte) bool) {
	captures := loadCaptures(b)
	events, size := 0, 0
	for _, c := range captures {
		events += countLines(c.data, "Event:")
		size += len(c.data)
	}
	src := new(bytes.Reader)
	r := NewReader(src)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, c := range captures {
			src.Reset(c.data)
			r.Reset(src)
			r.SetEventFilter(filter)
			for {
				_, err := r.ReadMessage()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkParseCaptures(b *testing.B) { benchmarkCaptures(b, nil) }

func BenchmarkParseCapturesFiltered(b *testing.B) { benchmarkCaptures(b, noisyFilter) }
