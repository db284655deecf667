package flow

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// flexfone answers as the PHP examples of Flexfone's integration guide
// (004, "Integrationsmodul") do, and as broken services do.
type flexfone struct {
	mu      sync.Mutex
	queries []string // the query of every request, in order
}

func (s *flexfone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.Path+"?"+r.URL.RawQuery)
	s.mu.Unlock()
	q := r.URL.Query()
	switch r.URL.Path {
	case "/check.php": // number check
		if slices.Contains([]string{"86515151", "80808080", "86515153"}, q.Get("i")) {
			_, _ = w.Write([]byte("6050"))
		} else {
			_, _ = w.Write([]byte("1503"))
		}
	case "/pin.php": // PIN check
		if q.Get("i") == "1234" {
			_, _ = w.Write([]byte("6000"))
		} else {
			_, _ = w.Write([]byte("6001"))
		}
	case "/display.php": // caller name text
		if q.Get("o") == "" {
			_, _ = w.Write([]byte("CPR: " + q.Get("i") + " TLF: Anonymous"))
		} else {
			_, _ = w.Write([]byte("CPR: " + q.Get("i") + " TLF: " + q.Get("o")))
		}
	case "/dynamic.php":
		_, _ = w.Write([]byte(" callerName=hovednummer&gotolocalnumber=2000"))
	case "/session.php":
		_, _ = w.Write([]byte("urlresult=vagtkald&session=dssuywe63"))
	case "/read.php":
		_, _ = w.Write([]byte("callerName=" + q.Get("session")))
	case "/hang":
		<-r.Context().Done()
	case "/500":
		http.Error(w, "boom", 500)
	case "/big":
		chunk := []byte(strings.Repeat("1", 1<<20))
		for range 10 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "/badutf8":
		_, _ = w.Write([]byte{'6', 0xff, 0xfe})
	case "/unknown":
		_, _ = w.Write([]byte("9999"))
	case "/redirect":
		http.Redirect(w, r, "http://169.254.169.254/latest", http.StatusFound)
	}
}

func (s *flexfone) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[len(s.queries)-1]
}

// runRequests answers the call's requests through fetcher until it waits
// for something else.
func (k *caller) runRequests(f *Fetcher) {
	for k.request != nil {
		req := k.request
		n, _ := k.c.flow.Node(k.c.NodeID())
		configured := n.HTTP.URL
		k.request = nil
		r := f.Do(context.Background(), configured, req.Request)
		k.feed(Input{Kind: InHTTP, ID: req.ID, HTTP: r})
	}
}

func moduleFlow(url string, m HTTP, more ...Node) Flow {
	m.URL = url
	if m.Goto == "" {
		m.Goto = "fallback"
	}
	nodes := []Node{{ID: "module", HTTP: &m}}
	if m.Goto == "fallback" {
		nodes = append(nodes, Node{ID: "fallback", Queue: &QueueDest{Code: "fallback"}})
	}
	return Flow{Name: "im", Start: "module", Nodes: append(nodes, more...)}
}

func TestHTTPModuleAsTheSeedsPHPExamples(t *testing.T) {
	srv := &flexfone{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	fetch := NewFetcher()
	queues := []Node{{ID: "6050", Queue: &QueueDest{Code: "known"}}, {ID: "1503", Queue: &QueueDest{Code: "unknown"}},
		{ID: "6000", Queue: &QueueDest{Code: "duty"}}, {ID: "6001", Hangup: true}, {ID: "2000", Queue: &QueueDest{Code: "main"}}}

	t.Run("number check", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/check.php?i=[callerid]", HTTP{Action: "goto"}, queues...), Refs{})
		for ani, want := range map[string]string{"86515151": "queue:known", "12345678": "queue:unknown"} {
			k := start(t, f, Env{}, map[string]string{FieldANI: ani})
			k.runRequests(fetch)
			if got := k.ended(); got != want {
				t.Errorf("caller %s ended at %s, want %s", ani, got, want)
			}
		}
	})
	t.Run("PIN check", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/pin.php?i=[input]", HTTP{Action: "goto", Collect: true,
			Prompt: []string{"sound:enter-pin"}}, queues...), Refs{})
		for pin, want := range map[string]string{"1234#": "queue:duty", "9999#": "hangup"} {
			k := start(t, f, Env{}, nil)
			k.press(pin)
			k.runRequests(fetch)
			if got := k.ended(); got != want {
				t.Errorf("PIN %s ended at %s, want %s", pin, got, want)
			}
		}
	})
	t.Run("caller name text", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/display.php?i=[input]&o=[callerid]", HTTP{Action: "callername", Collect: true,
			Goto: "2000"}, queues[4]), Refs{})
		for ani, want := range map[string]string{"": "CPR: 2121215544 TLF: Anonymous", "86515151": "CPR: 2121215544 TLF: 86515151"} {
			k := start(t, f, Env{}, map[string]string{FieldANI: ani})
			k.press("2121215544#")
			k.runRequests(fetch)
			if k.ended() != "queue:main" || k.c.Profile.Get(FieldCallerName) != want {
				t.Errorf("caller %q: name %q, ended at %s", ani, k.c.Profile.Get(FieldCallerName), k.ended())
			}
			if !slices.ContainsFunc(k.actions, func(a Action) bool { return a.Kind == ActSetCallerName && a.Value == want }) {
				t.Errorf("the channel's caller name is not set")
			}
		}
	})
	t.Run("dynamic", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/dynamic.php", HTTP{Action: "dynamic"}, queues...), Refs{})
		k := start(t, f, Env{}, nil)
		k.runRequests(fetch)
		if k.ended() != "queue:main" || k.c.Profile.Get(FieldCallerName) != "hovednummer" {
			t.Fatalf("ended at %s, caller name %q", k.ended(), k.c.Profile.Get(FieldCallerName))
		}
	})
	t.Run("stored session read back by a later module", func(t *testing.T) {
		second := Node{ID: "second", HTTP: &HTTP{URL: ts.URL + "/read.php?session=[session]&r=[urlresult]", Action: "dynamic", Goto: "2000"}}
		f := compile(t, moduleFlow(ts.URL+"/session.php?c=[uniquecallid]", HTTP{Action: "dynamic", Goto: "second"},
			append(queues, second)...), Refs{})
		k := start(t, f, Env{}, map[string]string{FieldCallID: "12434346.4567"})
		k.runRequests(fetch)
		if got := srv.last(); got != "/read.php?session=dssuywe63&r=vagtkald" {
			t.Fatalf("the later module asked %s", got)
		}
		if k.c.Profile.Get("session") != "dssuywe63" || k.c.Profile.Get(FieldCallerName) != "dssuywe63" || k.ended() != "queue:main" {
			t.Fatalf("profile %v, ended at %s", k.c.Profile.Values(), k.ended())
		}
	})
	t.Run("values are URL-encoded", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/check.php?i=[callername]&t=[callernametxt]", HTTP{Action: "none"}), Refs{})
		k := start(t, f, Env{}, map[string]string{FieldCallerName: "a&b=c d", FieldLineName: "Hovednummer"})
		k.runRequests(fetch)
		if got := srv.last(); got != "/check.php?i=a%26b%3Dc+d&t=Hovednummer" {
			t.Fatalf("asked %s", got)
		}
	})
}

func TestHTTPModuleFailuresTakeTheConfiguredGoto(t *testing.T) {
	ts := httptest.NewServer(&flexfone{})
	defer ts.Close()
	fetch := NewFetcher()
	for _, path := range []string{"/hang", "/500", "/big", "/badutf8", "/unknown", "/redirect"} {
		t.Run(path, func(t *testing.T) {
			f := compile(t, moduleFlow(ts.URL+path, HTTP{Action: "goto", Timeout: 200 * time.Millisecond},
				Node{ID: "1503", Hangup: true}), Refs{})
			k := start(t, f, Env{}, nil)
			k.runRequests(fetch)
			if got := k.ended(); got != "queue:fallback" {
				t.Fatalf("ended at %s", got)
			}
			if len(k.failures()) == 0 {
				t.Fatal("no failure reported for the log and the metric")
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		url := dead.URL
		dead.Close()
		f := compile(t, moduleFlow(url+"/x", HTTP{Action: "goto"}), Refs{})
		k := start(t, f, Env{}, nil)
		k.runRequests(fetch)
		if got := k.ended(); got != "queue:fallback" {
			t.Fatalf("ended at %s", got)
		}
	})
	t.Run("collection timeout has its own destination", func(t *testing.T) {
		f := compile(t, moduleFlow(ts.URL+"/pin.php?i=[input]", HTTP{Action: "goto", Collect: true, TimeoutDest: "1503"},
			Node{ID: "1503", Number: "1503"}), Refs{})
		k := start(t, f, Env{}, nil)
		k.timeout()
		if got := k.ended(); got != "number:1503" {
			t.Fatalf("ended at %s", got)
		}
	})
}

func TestFetcherRefusesAnotherHost(t *testing.T) {
	r := NewFetcher().Do(context.Background(), "http://crm.local/x?i=[input]", &Request{Method: "GET", URL: "http://169.254.169.254/x?i=1"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "refused") {
		t.Fatalf("a request to another host was not refused: %+v", r)
	}
}

// The identification's POST is a form, as OMniLeads sends it: a CRM that
// reads idContact as a form field (PHP's $_POST, Go's ParseForm) finds it.
func TestIdentificationPostsAForm(t *testing.T) {
	var got, agent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got, agent = r.PostForm.Get("idContact"), r.UserAgent()
		fmt.Fprintf(w, `{"status":"ok","destination":%q}`, fmt.Sprint(got == "1234"))
	}))
	defer srv.Close()
	fl := identifyFlow("bool")
	fl.Nodes[0].Identify.URL = srv.URL + "/identify"
	k := start(t, compile(t, fl, Refs{}), Env{}, nil)
	k.press("1234")
	req := k.request
	k.request = nil
	k.feed(Input{Kind: InHTTP, ID: req.ID, HTTP: NewFetcher().Do(context.Background(), fl.Nodes[0].Identify.URL, req.Request)})
	if end := k.ended(); end != "queue:gold" || got != "1234" || agent != "OMniLeads" {
		t.Fatalf("ended at %s; the CRM read idContact %q from User-Agent %q", end, got, agent)
	}
}
