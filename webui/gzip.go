package webui

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// compressed holds each embedded file gzipped, made once on its first
// request: the first page then travels in about a third of its bytes, and
// ccd does not compress the same file again for every browser.
var compressed sync.Map // file name -> []byte

func gzipped(name string, plain []byte) []byte {
	if b, ok := compressed.Load(name); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = w.Write(plain)                                   // a bytes.Buffer does not fail
	_ = w.Close()
	b, _ := compressed.LoadOrStore(name, buf.Bytes())
	return b.([]byte)
}

// acceptsGzip tells whether the request's Accept-Encoding allows gzip
// ("gzip", "gzip;q=0.5", not "gzip;q=0").
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
