package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccdhq/ccd/store"
	"github.com/labstack/echo/v4"
)

// discardResponse throws an answer away, so that a benchmark measures the
// formatting of rows and nothing else.
type discardResponse struct{ h http.Header }

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardResponse) WriteHeader(int)             {}

// benchmarkRows writes rows shaped like callsstat's (times, integers, caller
// IDs half of which start with '+', names, a decimal) to out.
func benchmarkRows(b *testing.B, out func(c echo.Context) streamer) {
	cols := []store.Column{{Name: "offeredts", Kind: store.Time}, {Name: "callid", Kind: store.Integer},
		{Name: "clid", Kind: store.Text}, {Name: "agent_id", Kind: store.Text}, {Name: "holdtime", Kind: store.Integer},
		{Name: "pct", Kind: store.Decimal}, {Name: "adata1", Kind: store.Text}}
	at := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	const rows = 10000
	cells := make([][]store.Cell, rows)
	for i := range cells {
		clid := fmt.Sprintf("0611%06d", i)
		if i%2 == 0 {
			clid = fmt.Sprintf("+49301%06d", i)
		}
		cells[i] = []store.Cell{{Time: at.Add(time.Duration(i/100) * time.Minute)}, {Int: int64(i)}, {Raw: []byte(clid)},
			{Raw: []byte("1001")}, {Int: int64(i % 60)}, {Raw: []byte("62.5")}, {Raw: []byte("order 4711|vip")}}
	}
	e := echo.New()
	b.ReportAllocs()
	for b.Loop() {
		w := out(e.NewContext(httptest.NewRequest("GET", "/", nil), &discardResponse{h: http.Header{}}))
		if err := w.Columns(cols); err != nil {
			b.Fatal(err)
		}
		for _, r := range cells {
			if err := w.Row(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

func BenchmarkStatsCSV(b *testing.B) {
	benchmarkRows(b, func(c echo.Context) streamer { return &csvRows{c: c, file: "x", times: timeText{loc: time.UTC}} })
}

func BenchmarkStatsJSON(b *testing.B) {
	benchmarkRows(b, func(c echo.Context) streamer {
		return &jsonRows{c: c, times: timeText{loc: time.UTC}, meta: struct{}{}}
	})
}
