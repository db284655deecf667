package ari

import (
	"context"
	"io"
	"net/http"
)

// PlaybackHandle is a reference to a playback by id.
type PlaybackHandle struct {
	c  *Client
	id string
}

// Playback returns a handle for the playback with the given id.
func (c *Client) Playback(id string) *PlaybackHandle { return &PlaybackHandle{c: c, id: id} }

// ID returns the playback id.
func (h *PlaybackHandle) ID() string { return h.id }

// Key returns the playback's resource key.
func (h *PlaybackHandle) Key() Key { return Key{KindPlayback, h.id} }

// Subscribe returns a subscription to this playback's events
// (PlaybackStarted, PlaybackContinuing, PlaybackFinished).
func (h *PlaybackHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

func (h *PlaybackHandle) path(sub string) string { return "/playbacks/" + pathSeg(h.id) + sub }

// Get returns the playback's state.
func (h *PlaybackHandle) Get(ctx context.Context) (*Playback, error) {
	return get[Playback](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// Stop stops the playback.
func (h *PlaybackHandle) Stop(ctx context.Context) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: h.path("")}, nil)
}

// Playback control operations.
const (
	PlaybackRestart = "restart"
	PlaybackPause   = "pause"
	PlaybackUnpause = "unpause"
	PlaybackReverse = "reverse"
	PlaybackForward = "forward"
)

// Control pauses, unpauses, restarts, rewinds or fast-forwards the
// playback (one of the Playback* operations).
func (h *PlaybackHandle) Control(ctx context.Context, operation string) error {
	return h.c.call(ctx, request{method: http.MethodPost, path: h.path("/control"),
		query: params{}.str("operation", operation).values()}, nil)
}

// LiveRecordingHandle is a reference to a recording in progress, by name.
type LiveRecordingHandle struct {
	c    *Client
	name string
}

// LiveRecording returns a handle for the live recording with the given
// name.
func (c *Client) LiveRecording(name string) *LiveRecordingHandle {
	return &LiveRecordingHandle{c: c, name: name}
}

// Name returns the recording name.
func (h *LiveRecordingHandle) Name() string { return h.name }

// Key returns the recording's resource key.
func (h *LiveRecordingHandle) Key() Key { return Key{KindRecording, h.name} }

// Subscribe returns a subscription to this recording's events
// (RecordingStarted, RecordingFinished, RecordingFailed).
func (h *LiveRecordingHandle) Subscribe(types ...string) *Subscription {
	return h.c.bus.subscribe(h.Key(), types)
}

func (h *LiveRecordingHandle) path(sub string) string {
	return "/recordings/live/" + pathSeg(h.name) + sub
}

func (h *LiveRecordingHandle) do(ctx context.Context, method, sub string) error {
	return h.c.call(ctx, request{method: method, path: h.path(sub)}, nil)
}

// Get returns the recording's state.
func (h *LiveRecordingHandle) Get(ctx context.Context) (*LiveRecording, error) {
	return get[LiveRecording](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// Stop stops the recording and keeps the file.
func (h *LiveRecordingHandle) Stop(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/stop")
}

// Cancel stops the recording and discards the file.
func (h *LiveRecordingHandle) Cancel(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "")
}

// Pause pauses the recording (e.g. while card details are spoken).
func (h *LiveRecordingHandle) Pause(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/pause")
}

// Unpause resumes a paused recording.
func (h *LiveRecordingHandle) Unpause(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/pause")
}

// Mute records silence instead of the audio until Unmute.
func (h *LiveRecordingHandle) Mute(ctx context.Context) error {
	return h.do(ctx, http.MethodPost, "/mute")
}

// Unmute resumes recording audio.
func (h *LiveRecordingHandle) Unmute(ctx context.Context) error {
	return h.do(ctx, http.MethodDelete, "/mute")
}

// ListStoredRecordings lists the recordings in Asterisk's recording spool.
func (c *Client) ListStoredRecordings(ctx context.Context) ([]StoredRecording, error) {
	return list[StoredRecording](ctx, c, request{method: http.MethodGet, path: "/recordings/stored"})
}

// StoredRecordingHandle is a reference to a finished recording by name.
type StoredRecordingHandle struct {
	c    *Client
	name string
}

// StoredRecording returns a handle for the stored recording with the
// given name.
func (c *Client) StoredRecording(name string) *StoredRecordingHandle {
	return &StoredRecordingHandle{c: c, name: name}
}

// Name returns the recording name.
func (h *StoredRecordingHandle) Name() string { return h.name }

func (h *StoredRecordingHandle) path(sub string) string {
	return "/recordings/stored/" + pathSeg(h.name) + sub
}

// Get returns the recording's name and format.
func (h *StoredRecordingHandle) Get(ctx context.Context) (*StoredRecording, error) {
	return get[StoredRecording](ctx, h.c, request{method: http.MethodGet, path: h.path("")})
}

// Delete deletes the recording.
func (h *StoredRecordingHandle) Delete(ctx context.Context) error {
	return h.c.call(ctx, request{method: http.MethodDelete, path: h.path("")}, nil)
}

// Copy copies the recording to a new name and returns the copy.
func (h *StoredRecordingHandle) Copy(ctx context.Context, destination string) (*StoredRecording, error) {
	return get[StoredRecording](ctx, h.c, request{method: http.MethodPost, path: h.path("/copy"),
		query: params{}.str("destinationRecordingName", destination).values()})
}

// File streams the recording's audio file. The caller must close it. The
// Content-Type header of Asterisk's response (e.g. "audio/wav") is
// returned as contentType.
func (h *StoredRecordingHandle) File(ctx context.Context) (rc io.ReadCloser, contentType string, err error) {
	resp, err := h.c.send(ctx, request{method: http.MethodGet, path: h.path("/file")})
	if err != nil {
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// Bytes downloads the whole recording file into memory.
func (h *StoredRecordingHandle) Bytes(ctx context.Context) ([]byte, error) {
	rc, _, err := h.File(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
