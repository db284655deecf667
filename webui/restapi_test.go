package webui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ccdhq/ccd"
)

// fakeAdmin is an admin API backend that remembers who changed what.
type fakeAdmin struct {
	ccd.ConfigAdmin
	by []string
}

func (a *fakeAdmin) ConfigItems(context.Context, ccd.ConfigKind) ([]map[string]any, error) {
	return []map[string]any{{"code": "sales"}}, nil
}

func (a *fakeAdmin) PutConfigItemIf(_ context.Context, who ccd.Principal, _ ccd.ConfigKind, id, _ string, _ []byte) (map[string]any, string, bool, error) {
	a.by = append(a.by, string(who.Kind)+":"+who.Name)
	return map[string]any{"code": id}, `"v1"`, true, nil
}

// The page calls the REST API with its session: an administrator's cookie
// reads the admin API, and changes it only with the session's CSRF token;
// a supervisor's cookie is refused there by its role; no cookie, or an
// ended session, is a 401; a bearer token still works alone.
func TestSessionCallsTheRESTAPI(t *testing.T) {
	f := newFixture(t, nil, nil)
	admin := &fakeAdmin{}
	f.srv.MountAdmin(admin)
	ada, sue := f.mustLogin("ada", adminPW), f.mustLogin("sue", supervisorPW)

	if w := f.do("GET", "/api/admin/queues", ada, nil, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "sales") {
		t.Fatalf("admin reads queues: %d %s", w.Code, w.Body)
	}
	put := func(s *session, csrf string) int {
		w := f.do("PUT", "/api/admin/queues/vip", s, nil, csrf)
		return w.Code
	}
	if code := put(ada, ""); code != http.StatusForbidden {
		t.Errorf("change without CSRF: %d", code)
	}
	if code := put(ada, sue.csrf); code != http.StatusForbidden {
		t.Errorf("change with another session's CSRF token: %d", code)
	}
	if code := put(ada, ada.csrf); code != http.StatusCreated || len(admin.by) != 1 || admin.by[0] != "admin:ada" {
		t.Fatalf("change with CSRF: %d, made by %v", code, admin.by)
	}
	if w := f.do("GET", "/api/admin/queues", sue, nil, ""); w.Code != http.StatusForbidden {
		t.Errorf("supervisor on the admin API: %d", w.Code)
	}
	if w := f.do("GET", "/api/admin/queues", nil, nil, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no cookie: %d", w.Code)
	}
	if w := f.do("POST", "/ui/logout", ada, nil, ada.csrf); w.Code != http.StatusNoContent {
		t.Fatal(w.Code)
	}
	if w := f.do("GET", "/api/admin/queues", ada, nil, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("ended session: %d", w.Code)
	}
	if len(admin.by) != 1 {
		t.Errorf("refused changes reached the backend: %v", admin.by)
	}
}

// The softphone's SIP library is served from the binary with the licences
// of what it bundles; nothing outside the vendor folder is.
func TestVendoredLibrary(t *testing.T) {
	f := newFixture(t, nil, nil)
	w := f.do("GET", "/ui/assets/vendor/jssip.min.js", nil, nil, "")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(w.Body.String(), "export{") {
		t.Fatalf("library: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	w = f.do("GET", "/ui/assets/vendor/jssip.LICENSE.md", nil, nil, "")
	for _, pkg := range []string{"jssip 3.13.8", "sdp-transform", "debug"} {
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "---- "+pkg) {
			t.Errorf("licence of %s: %d", pkg, w.Code)
		}
	}
	for _, bad := range []string{"/ui/assets/vendor/..%2Fapp.js", "/ui/assets/vendor/.hidden", "/ui/assets/vendor/nothing.js"} {
		if w := f.do("GET", bad, nil, nil, ""); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
}
