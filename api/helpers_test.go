package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// The request helpers of apitest, on a server.

func do(t *testing.T, s *api.Server, method, path, token, contentType, body string) (int, map[string]any, string) {
	t.Helper()
	return apitest.Do(t, s.Echo, method, path, token, contentType, body)
}

func doFrom(t *testing.T, s *api.Server, addr, method, path, token, contentType, body string) (int, map[string]any, string, http.Header) {
	t.Helper()
	return apitest.DoFrom(t, s.Echo, addr, method, path, token, contentType, body)
}

func doAuth(t *testing.T, s *api.Server, method, path, authorization string) (int, map[string]any, string) {
	t.Helper()
	return apitest.DoAuth(t, s.Echo, method, path, authorization)
}

func statsGet(t *testing.T, s *api.Server, path, token string) (int, any, *httptest.ResponseRecorder) {
	t.Helper()
	return apitest.Get(t, s.Echo, path, token)
}
