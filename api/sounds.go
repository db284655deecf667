package api

import (
	"encoding/binary"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/ccdhq/ccd"
	"github.com/labstack/echo/v4"
)

// SoundUploadMaxBytes bounds an uploaded sound (a prompt of some minutes
// at 8 kHz, 16 bits).
const SoundUploadMaxBytes = 32 << 20

// SoundPrefix starts the names of uploaded sounds in the recording
// directory, so that they are never taken for, or overwrite, a call's
// recording.
const SoundPrefix = "prompt-"

var soundName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// soundsAPI stores sounds uploaded for flows in Asterisk's recording
// directory, where ARI plays and lists them as stored recordings.
type soundsAPI struct {
	dir string
	log *slog.Logger
}

// UploadedSound is the answer to an upload: the media URI flows name it by.
type UploadedSound struct {
	Name  string `json:"name"`
	Media string `json:"media"`
	Bytes int64  `json:"bytes"`
}

// MountSounds adds the upload of sounds for flows (role admin):
//
//	PUT /api/admin/sounds/:name    a WAV file (audio/wav: PCM, mono, 16 bits, 8000 Hz, Asterisk's "wav")
//
// stored as dir/prompt-<name>.wav (dir is recordings.dir, Asterisk's
// recording directory) and named recording:prompt-<name> in flows. 201
// when new, 200 when it replaced one; an empty dir answers 503.
func (s *Server) MountSounds(dir string, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	a := &soundsAPI{dir: dir, log: log}
	const path = "/api/admin/sounds/:name"
	s.StreamBody(path, SoundUploadMaxBytes)
	s.Echo.PUT(path, a.put, s.Authenticate, Require(ccd.RoleAdmin), QueryParams())
}

func (a *soundsAPI) put(c echo.Context) error {
	name := c.Param("name")
	if !soundName.MatchString(name) {
		return ccd.Invalid("name", "want letters, digits, _ and - (at most 64, starting with a letter or digit)")
	}
	ctype, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	switch ctype {
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave":
	default:
		return ccd.Invalid("Content-Type", "want audio/wav (PCM, mono, 16 bits, 8000 Hz)")
	}
	if a.dir == "" {
		return &ccd.Error{Code: ccd.EUNAVAILABLE, Message: "sounds cannot be uploaded: recordings.dir (Asterisk's recording directory) is not configured"}
	}
	tmp, err := os.CreateTemp(a.dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing once renamed
	defer tmp.Close()
	n, err := io.Copy(tmp, c.Request().Body)
	if err != nil {
		return BodyError(err, SoundUploadMaxBytes)
	}
	if err := checkWAV(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // Asterisk reads it, under its own user
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	final := filepath.Join(a.dir, SoundPrefix+name+".wav")
	_, statErr := os.Stat(final)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	p := PrincipalOf(c)
	a.log.Info("sound uploaded", "name", name, "bytes", n, "by", string(p.Kind)+":"+p.Name)
	status := http.StatusCreated
	if statErr == nil {
		status = http.StatusOK
	}
	return c.JSON(status, UploadedSound{Name: name, Media: "recording:" + SoundPrefix + name, Bytes: n})
}

// checkWAV accepts what Asterisk's "wav" format plays: RIFF/WAVE with a
// PCM fmt chunk, mono, 16 bits, 8000 Hz.
func checkWAV(f *os.File) error {
	bad := func(msg string) error { return ccd.Invalid("body", msg) }
	var head [12]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || string(head[0:4]) != "RIFF" || string(head[8:12]) != "WAVE" {
		return bad("not a WAV file (RIFF/WAVE)")
	}
	off := int64(12)
	for range 16 { // the fmt chunk comes first or nearly
		var chunk [8]byte
		if _, err := f.ReadAt(chunk[:], off); err != nil {
			break
		}
		size := int64(binary.LittleEndian.Uint32(chunk[4:8]))
		if string(chunk[0:4]) != "fmt " {
			off += 8 + size + size%2
			continue
		}
		var fmtc [16]byte
		if _, err := f.ReadAt(fmtc[:], off+8); err != nil {
			return bad("a WAV file with a short fmt chunk")
		}
		format, channels := binary.LittleEndian.Uint16(fmtc[0:2]), binary.LittleEndian.Uint16(fmtc[2:4])
		rate, bits := binary.LittleEndian.Uint32(fmtc[4:8]), binary.LittleEndian.Uint16(fmtc[14:16])
		if format != 1 || channels != 1 || rate != 8000 || bits != 16 {
			return bad("Asterisk plays WAV as PCM, mono, 16 bits, 8000 Hz: convert it (sox in.wav -r 8000 -c 1 -b 16 out.wav)")
		}
		return nil
	}
	return bad("a WAV file without a fmt chunk")
}
