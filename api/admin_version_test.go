package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
	"github.com/ccdhq/ccd/api"
)

// versionedAdmin keeps one queue with a version that changes with each
// change, and refuses a change from another version as liveconf does.
type versionedAdmin struct {
	ccd.ConfigAdmin
	version string
	matched []string // the If-Match of each change
}

func (a *versionedAdmin) ConfigItemVersion(context.Context, ccd.ConfigKind, string) (map[string]any, string, error) {
	return map[string]any{"code": "sales"}, a.version, nil
}

func (a *versionedAdmin) PutConfigItemIf(_ context.Context, _ ccd.Principal, _ ccd.ConfigKind, id, ifMatch string, _ []byte) (map[string]any, string, bool, error) {
	a.matched = append(a.matched, ifMatch)
	if ifMatch != "" && ifMatch != a.version {
		return nil, "", false, &ccd.Error{Code: ccd.ECONFLICT, Message: "changed since"}
	}
	a.version = `"v2"`
	return map[string]any{"code": id}, a.version, false, nil
}

func (a *versionedAdmin) DeleteConfigItemIf(_ context.Context, _ ccd.Principal, _ ccd.ConfigKind, _, ifMatch string) error {
	a.matched = append(a.matched, ifMatch)
	if ifMatch != "" && ifMatch != a.version {
		return &ccd.Error{Code: ccd.ECONFLICT, Message: "changed since"}
	}
	return nil
}

// The admin API answers an item's version as ETag and hands If-Match to
// the change: the second of two admins who read the same version gets a
// 409, and a change without If-Match goes through as before.
func TestAdminItemVersions(t *testing.T) {
	const adminToken = "admin-token-0123456789"
	s := api.NewServer(nil, nil, api.Options{AdminToken: adminToken})
	a := &versionedAdmin{version: `"v1"`}
	s.MountAdmin(a)
	send := func(method, ifMatch string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/api/admin/queues/sales", strings.NewReader(`{}`))
		r.Header.Set("Authorization", "Bearer "+adminToken)
		r.Header.Set("Content-Type", "application/json")
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	read := send("GET", "").Header().Get("ETag")
	if read != `"v1"` {
		t.Fatalf("GET ETag %q", read)
	}
	first := send("PUT", read)
	if first.Code != http.StatusOK || first.Header().Get("ETag") != `"v2"` {
		t.Fatalf("first change: %d ETag %q", first.Code, first.Header().Get("ETag"))
	}
	if w := send("PUT", read); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), ccd.ECONFLICT) {
		t.Fatalf("second change from the same version: %d %s", w.Code, w.Body)
	}
	if w := send("DELETE", read); w.Code != http.StatusConflict {
		t.Fatalf("delete from an old version: %d", w.Code)
	}
	if w := send("PUT", ""); w.Code != http.StatusOK {
		t.Fatalf("change without If-Match: %d", w.Code)
	}
	if got := strings.Join(a.matched, " "); got != `"v1" "v1" "v1" ` {
		t.Fatalf("If-Match handed on: %q", got)
	}
}
