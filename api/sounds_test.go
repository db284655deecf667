package api_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/ccdhq/ccd/api"
	"github.com/ccdhq/ccd/internal/apitest"
)

// wav is a WAV file of n samples of silence in the given format.
func wav(rate uint32, channels, bits uint16, n int) string {
	var b bytes.Buffer
	data := n * int(channels) * int(bits) / 8
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), channels, rate, rate * uint32(channels) * uint32(bits) / 8, channels * bits / 8, bits} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	b.Write(make([]byte, data))
	return b.String()
}

// An administrator uploads a WAV prompt; it lands in Asterisk's recording
// directory as prompt-<name>.wav, named recording:prompt-<name> in flows;
// what Asterisk cannot play, a bad name and other roles are refused.
func TestSoundUpload(t *testing.T) {
	const admin = "admin-token-0123456789abcdef"
	dir := t.TempDir()
	s := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, AdminToken: admin})
	s.MountSounds(dir, nil)
	good := wav(8000, 1, 16, 800)
	code, m, raw := apitest.Do(t, s, "PUT", "/api/admin/sounds/welcome", admin, "audio/wav", good)
	if code != 201 || m["media"] != "recording:prompt-welcome" || m["bytes"] != float64(len(good)) {
		t.Fatalf("upload: %d %s", code, raw)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "prompt-welcome.wav")); err != nil || string(b) != good {
		t.Fatalf("stored file: %v", err)
	}
	if code, _, raw := apitest.Do(t, s, "PUT", "/api/admin/sounds/welcome", admin, "audio/x-wav", good); code != 200 {
		t.Fatalf("replace: %d %s", code, raw)
	}
	apitest.CheckErrors(t, s, []apitest.ErrorCase{
		{Name: "integration token", Method: "PUT", Path: "/api/admin/sounds/x", Token: apitest.IntegrationToken, ContentType: "audio/wav", Body: good, Code: 403},
		{Name: "no token", Method: "PUT", Path: "/api/admin/sounds/x", ContentType: "audio/wav", Body: good, Code: 401},
		{Name: "bad name", Method: "PUT", Path: "/api/admin/sounds/..%2Fx", Token: admin, ContentType: "audio/wav", Body: good, Code: 400, Field: "name"},
		{Name: "not audio", Method: "PUT", Path: "/api/admin/sounds/x", Token: admin, ContentType: "application/json", Body: `{}`, Code: 400, Field: "Content-Type"},
		{Name: "not a wav", Method: "PUT", Path: "/api/admin/sounds/x", Token: admin, ContentType: "audio/wav", Body: "ID3 mp3", Code: 400, Field: "body"},
		{Name: "44.1 kHz stereo", Method: "PUT", Path: "/api/admin/sounds/x", Token: admin, ContentType: "audio/wav", Body: wav(44100, 2, 16, 10), Code: 400, Field: "body"},
	})
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 1 {
		t.Fatalf("files left in the directory: %v", left)
	}
	none := api.NewServer(nil, nil, api.Options{Token: apitest.IntegrationToken, AdminToken: admin})
	none.MountSounds("", nil)
	if code, _, raw := apitest.Do(t, none, "PUT", "/api/admin/sounds/x", admin, "audio/wav", good); code != 503 {
		t.Fatalf("without recordings.dir: %d %s", code, raw)
	}
}
