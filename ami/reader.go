package ami

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ccdhq/ccd/internal/textcheck"
)

// DefaultMaxFrameSize is the largest frame a Reader accepts unless changed
// with SetMaxFrameSize. Real frames are well under 10 KiB; the limit only
// protects memory against a misbehaving peer.
const DefaultMaxFrameSize = 1 << 20

// bannerPrefix starts the greeting line Asterisk sends when a client connects,
// e.g. "Asterisk Call Manager/11.0.0".
const bannerPrefix = "Asterisk Call Manager/"

// Errors wrapped by ParseError.
var (
	// ErrMalformedLine reports a line that is not of the form "Key: Value".
	ErrMalformedLine = errors.New("malformed line")
	// ErrFrameTooLarge reports a frame longer than the Reader's maximum frame
	// size.
	ErrFrameTooLarge = errors.New("frame too large")
)

// ParseError describes a frame the Reader could not parse. The offending frame
// has been consumed entirely: the Reader is positioned at the start of the
// next frame, so callers can log the error and call ReadMessage again.
type ParseError struct {
	Offset int64  // byte offset in the stream where the bad frame starts
	Line   string // the offending line, shortened, if any
	Err    error  // ErrMalformedLine, ErrFrameTooLarge or io.ErrUnexpectedEOF
}

func (e *ParseError) Error() string {
	s := "ami: " + e.Err.Error() + " at offset " + strconv.FormatInt(e.Offset, 10)
	if e.Line != "" {
		s += ": " + strconv.Quote(e.Line)
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reader parses AMI frames from a byte stream. It accepts both CRLF (the wire
// protocol) and bare LF line endings, and skips the "Asterisk Call Manager/x.y"
// banner at the start of the stream.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd      io.Reader
	buf     []byte
	r, w    int   // buf[r:w] holds unread bytes
	err     error // sticky error from rd, returned once buf is drained
	offset  int64 // stream offset of buf[r]
	max     int
	keep    func(event []byte) bool
	started bool // the first line has been examined for a banner
	banner  string
	skipped uint64
	// ends holds the offset, relative to the frame start, of the '\n' ending
	// each line of the frame returned by readFrame, so that parsing does not
	// have to search for line breaks a second time.
	ends []int
}

// NewReader returns a Reader reading from r. It does its own buffering, so r
// need not be buffered.
func NewReader(r io.Reader) *Reader {
	return &Reader{rd: r, max: DefaultMaxFrameSize}
}

// Reset discards all state and makes r read from src, keeping its buffer and
// maximum frame size but not its event filter. It allows one Reader to parse
// many streams without reallocating.
func (r *Reader) Reset(src io.Reader) {
	*r = Reader{rd: src, buf: r.buf, max: r.max, ends: r.ends[:0]}
}

// SetMaxFrameSize sets the largest accepted frame, in bytes. Larger frames are
// skipped and reported as a *ParseError wrapping ErrFrameTooLarge. Values
// below 1 restore DefaultMaxFrameSize.
func (r *Reader) SetMaxFrameSize(n int) {
	if n < 1 {
		n = DefaultMaxFrameSize
	}
	r.max = n
}

// SetEventFilter installs a predicate on event names. Event frames whose name
// keep rejects are skipped before any Message is allocated, which matters
// because a single call produces hundreds of VarSet and Newexten events that
// most consumers ignore. Responses (frames without an Event field) are always
// returned. The slice passed to keep is only valid during the call. Skipped
// frames are not validated. A nil keep disables filtering.
func (r *Reader) SetEventFilter(keep func(event []byte) bool) { r.keep = keep }

// Banner returns the greeting line read at the start of the stream, such as
// "Asterisk Call Manager/11.0.0", or "" if none has been seen.
func (r *Reader) Banner() string { return r.banner }

// Skipped returns the number of frames dropped by the event filter so far.
func (r *Reader) Skipped() uint64 { return r.skipped }

// ReadMessage returns the next frame. It returns io.EOF when the stream ends
// cleanly between frames, a *ParseError for a malformed frame (after which
// reading can continue), and any other error from the underlying reader as is.
func (r *Reader) ReadMessage() (*Message, error) {
	for {
		frame, off, err := r.readFrame()
		if err != nil {
			return nil, err
		}
		if r.keep != nil {
			if name, ok := eventName(frame); ok && !r.keep(name) {
				r.skipped++
				continue
			}
		}
		return parseLines(frame, r.ends, off)
	}
}

// readFrame returns the next non-empty frame, including the line ending of its
// last line but not the terminating blank line, and the stream offset where it
// starts. The slice aliases r.buf and is valid until the next call.
func (r *Reader) readFrame() ([]byte, int64, error) {
	ls := r.r   // start of the current line
	from := r.r // buf[ls:from] is known to contain no '\n'
	r.ends = r.ends[:0]
	for {
		i := bytes.IndexByte(r.buf[from:r.w], '\n')
		if i < 0 {
			from = r.w
			if r.w-r.r > r.max {
				return nil, 0, r.skipOversized(ls)
			}
			if r.err != nil {
				return nil, 0, r.atEOF()
			}
			shift := r.fill()
			ls -= shift
			from -= shift
			continue
		}
		nl := from + i
		line := r.buf[ls:nl]
		lineStart := ls
		ls, from = nl+1, nl+1
		if !r.started {
			r.started = true
			if bytes.HasPrefix(line, []byte(bannerPrefix)) && bytes.IndexByte(line, ':') < 0 {
				r.banner = string(bytes.TrimSuffix(line, []byte{'\r'}))
				r.advance(ls)
				continue
			}
		}
		if len(line) > 1 || (len(line) == 1 && line[0] != '\r') {
			// An ordinary line; the frame goes on. Offsets are relative to
			// the frame start because fill may move the buffer.
			r.ends = append(r.ends, nl-r.r)
			continue
		}
		// A blank line ends the frame.
		frame, off := r.buf[r.r:lineStart], r.offset
		r.advance(ls)
		if len(frame) == 0 {
			r.ends = r.ends[:0]
			continue // stray blank line between frames
		}
		return frame, off, nil
	}
}

// advance consumes buf up to position p.
func (r *Reader) advance(p int) {
	r.offset += int64(p - r.r)
	r.r = p
}

// fill reads more data into buf, first moving unread bytes to the front and
// growing buf if it is full. It returns how far the unread bytes moved left so
// that callers can adjust their indexes.
func (r *Reader) fill() int {
	shift := r.r
	if shift > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= shift
		r.r = 0
	}
	if r.w == len(r.buf) {
		n := 2 * len(r.buf)
		if n < 16<<10 {
			n = 16 << 10
		}
		// Never grow far past the frame limit: one byte over is enough to
		// detect an oversized frame.
		if limit := r.max + 2; n > limit && limit > len(r.buf) {
			n = limit
		}
		nb := make([]byte, n)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for empty := 0; empty < 100; empty++ {
		n, err := r.rd.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			r.err = errors.New("ami: reader returned invalid count")
			return shift
		}
		r.w += n
		if err != nil {
			r.err = err
			return shift
		}
		if n > 0 {
			return shift
		}
	}
	r.err = io.ErrNoProgress
	return shift
}

// atEOF handles the end of the underlying stream with buf[r.r:r.w] holding no
// complete line.
func (r *Reader) atEOF() error {
	rest := r.buf[r.r:r.w]
	if len(bytes.Trim(rest, "\r\n")) == 0 {
		r.advance(r.w)
		return r.err
	}
	off := r.offset
	line := lastLine(rest)
	r.advance(r.w)
	if r.err != io.EOF {
		// The connection broke mid-frame; the transport error is what the
		// caller needs to see.
		return r.err
	}
	return &ParseError{Offset: off, Line: line, Err: io.ErrUnexpectedEOF}
}

// skipOversized discards the current frame, which has grown past r.max
// without ending, up to and including its terminating blank line. ls is the
// start of the current (incomplete) line. Only the tail of a line is kept in
// memory while skipping, so a peer cannot make the Reader buffer more than
// about r.max bytes.
func (r *Reader) skipOversized(ls int) error {
	off := r.offset
	perr := &ParseError{Offset: off, Line: shorten(r.buf[r.r:r.w]), Err: ErrFrameTooLarge}
	// Every complete line before ls is non-blank, or the frame would have ended.
	dirty := false // the current line has (discarded) non-blank content
	for {
		i := bytes.IndexByte(r.buf[ls:r.w], '\n')
		if i >= 0 {
			nl := ls + i
			line := r.buf[ls:nl]
			blank := !dirty && (len(line) == 0 || (len(line) == 1 && line[0] == '\r'))
			dirty = false
			ls = nl + 1
			if blank {
				r.advance(ls)
				return perr
			}
			continue
		}
		// No newline buffered: drop everything but a lone '\r', which could
		// still be the first half of a blank CRLF line.
		if rest := r.buf[ls:r.w]; len(rest) > 1 || (len(rest) == 1 && rest[0] != '\r') {
			dirty = true
			ls = r.w
		}
		r.advance(ls)
		if r.err != nil {
			r.advance(r.w)
			return perr
		}
		ls -= r.fill()
	}
}

// eventName returns the value of the first Event field in frame without
// allocating. Asterisk always puts Event first, so that case is checked
// before scanning the whole frame.
func eventName(frame []byte) ([]byte, bool) {
	const prefix = "Event: "
	if len(frame) > len(prefix) && string(frame[:len(prefix)]) == prefix {
		v := frame[len(prefix):]
		if i := bytes.IndexByte(v, '\n'); i >= 0 {
			v = v[:i]
		}
		return bytes.TrimSuffix(v, []byte{'\r'}), true
	}
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		c := bytes.IndexByte(line, ':')
		if c != len("Event") || !equalFoldASCII(string(line[:c]), "Event") {
			continue
		}
		v := bytes.TrimSuffix(line[c+1:], []byte{'\r'})
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		return v, true
	}
	return nil, false
}

// parseLines turns a frame into a Message, given the offset of the '\n'
// ending each of its lines (see Reader.ends). The whole frame is converted to
// a single string and every key and value is a substring of it, so a message
// costs three allocations (Message, Fields, text) whatever its size. The
// flip side is that keeping any one value keeps the whole frame's text alive;
// frames are small, so this is the better trade-off.
//
// Texts from Asterisk reach the event log, and PostgreSQL refuses NUL bytes and
// invalid UTF-8: keys and values are repaired with textcheck.Clean. One check of
// the whole frame keeps the common case (nothing to repair) at one pass.
func parseLines(frame []byte, ends []int, off int64) (*Message, error) {
	s := string(frame)
	// Clean returns s itself when nothing needs repair, and a string compared
	// with itself is not read again.
	repair := textcheck.Clean(s) != s
	fields := make([]Field, len(ends))
	start := 0
	for i, end := range ends {
		line := s[start:end]
		start = end + 1
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		c := strings.IndexByte(line, ':')
		if c <= 0 {
			return nil, &ParseError{Offset: off, Line: shorten([]byte(line)), Err: ErrMalformedLine}
		}
		v := line[c+1:]
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		fields[i] = Field{Key: line[:c], Value: v}
		if repair {
			fields[i] = Field{Key: textcheck.Clean(line[:c]), Value: textcheck.Clean(v)}
		}
	}
	return &Message{Fields: fields}, nil
}

// shorten returns the first line of b, cut to a length suitable for logs.
func shorten(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte{'\r'})
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// lastLine returns the last non-empty line of b, shortened.
func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return shorten(b)
}
