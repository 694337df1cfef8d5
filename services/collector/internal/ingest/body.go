package ingest

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cemhq/cem/pkg/telemetry"
)

// bodyLimits bound one request body.
type bodyLimits struct {
	// max is the most bytes after decompression.
	max int
	// ratio is the most inflated bytes per compressed byte a gzip body may
	// reach (beyond the first ratioSlack bytes); 0: unbounded.
	ratio int
	// unauthenticated names the limit in the error: the write key is in
	// the body.
	unauthenticated bool
	// sizeFromLength sizes the first buffer from Content-Length (for
	// authenticated requests: a claimed length is reserved before the
	// bytes arrive).
	sizeFromLength bool
}

// bodyError is why a body was not read: the status of the answer and the
// reason counted in cem_collector_body_rejections_total.
type bodyError struct {
	status int
	reason string
	msg    string
}

func (e *bodyError) Error() string { return e.msg }

// Reasons of bodyError.
const (
	bodyTooLarge       = "too_large"
	bodyUnauthTooLarge = "unauthenticated_too_large"
	bodyInflation      = "inflation"
	bodySlow           = "slow"
	bodyInvalid        = "invalid"
	bodyMemory         = "memory"
	// Also counted in cem_collector_body_rejections_total:
	bodyTooManyEvents = "too_many_events"
	bodyUnknownKey    = "unknown_key"
	// bodyClientMemory: the client address's share of the memory budget
	// (cem_collector_overload_rejections_total{cause="client_memory"}).
	bodyClientMemory = "client_memory"
)

const (
	// maxPrealloc caps the buffer sized from Content-Length before any
	// byte arrived: a client that only claims a large body holds no more;
	// once it is full, the buffer grows to the claimed length at once.
	maxPrealloc = 64 << 10
	// minBuffer is the first buffer of a body of unknown size.
	minBuffer = 4 << 10
	// gzipReaderBytes is reserved for a gzip reader's window and tables.
	gzipReaderBytes = 64 << 10
	// ratioSlack: a gzip body may inflate this much before its ratio is
	// checked (small bodies of repeated bytes compress very well).
	ratioSlack = 64 << 10
)

// readBody reads the request body into a buffer, gunzipping it when
// Content-Encoding says gzip. Memory is reserved in res before each buffer
// is allocated, counting the inflated size; more than lim.max bytes (before
// or after decompression) is refused, so is a gzip body that inflates more
// than lim.ratio times.
func readBody(r *http.Request, lim bodyLimits, res *reservation) ([]byte, *bodyError) {
	if r.ContentLength > int64(lim.max) {
		return nil, tooLarge(lim)
	}
	raw := &countingReader{r: io.LimitReader(r.Body, int64(lim.max)+1)}
	var rd io.Reader = raw
	size := minBuffer
	gz := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	hint := 0 // the length claimed, once bytes arrive
	if gz {
		// The gzip header is read first: the reader's window and tables
		// are reserved once a client sent it.
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, readError(err, "invalid gzip")
		}
		defer zr.Close()
		if !res.growTo(gzipReaderBytes) {
			return nil, res.refusal()
		}
		rd = io.LimitReader(zr, int64(lim.max)+1)
	} else if r.ContentLength > 0 && lim.sizeFromLength {
		// Content-Length sizes the buffer (growing from a small one
		// allocates about twice the body): up to maxPrealloc before any
		// byte arrived, the claimed length once that much did.
		size = int(min(r.ContentLength, maxPrealloc))
		hint = int(r.ContentLength) + 1
	}
	base := res.n // the gzip reader's share
	b, err := readReserved(rd, size, hint, func(total int) bool { return res.growTo(base + int64(total)) }, func(n int) bool {
		return !gz || lim.ratio <= 0 || n <= ratioSlack || int64(n) <= int64(lim.ratio)*raw.n
	})
	switch {
	case errors.Is(err, errNoMemory):
		return nil, res.refusal()
	case errors.Is(err, errRatio):
		return nil, &bodyError{http.StatusRequestEntityTooLarge, bodyInflation,
			fmt.Sprintf("body: gzip inflates more than %d times", lim.ratio)}
	case err != nil:
		return nil, readError(err, "")
	case len(b) > lim.max:
		return nil, tooLarge(lim)
	}
	return b, nil
}

func tooLarge(lim bodyLimits) *bodyError {
	if lim.unauthenticated {
		return &bodyError{http.StatusRequestEntityTooLarge, bodyUnauthTooLarge, fmt.Sprintf(
			"body: larger than %d bytes, the limit of a request that carries its write key in the body; send the key as the basic-auth user for the full limit", lim.max)}
	}
	return &bodyError{http.StatusRequestEntityTooLarge, bodyTooLarge, fmt.Sprintf("body: larger than the limit of %d bytes", lim.max)}
}

func readError(err error, what string) *bodyError {
	if telemetry.IsSlowBody(err) {
		return &bodyError{http.StatusRequestTimeout, bodySlow, "body: not received in time (too slow)"}
	}
	if what == "" {
		return &bodyError{http.StatusBadRequest, bodyInvalid, fmt.Sprintf("body: %v", err)}
	}
	return &bodyError{http.StatusBadRequest, bodyInvalid, fmt.Sprintf("body: %s: %v", what, err)}
}

var (
	errNoMemory = errors.New("in-flight memory limit reached")
	errRatio    = errors.New("inflation ratio exceeded")
)

// readReserved reads r to its end into a buffer of size+1 bytes to start
// with (the extra byte lets it see the end without growing), growing it as
// append does, or to hint bytes at once when that is more. reserve is asked for the bytes of the buffers held before
// each one is allocated (old and new while copying); ok is asked after
// each read with the bytes read so far.
func readReserved(r io.Reader, size, hint int, reserve func(total int) bool, ok func(n int) bool) ([]byte, error) {
	if !reserve(size + 1) {
		return nil, errNoMemory
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if !ok(len(b)) {
			return nil, errRatio
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			next := max(2*cap(b), hint)
			if !reserve(cap(b) + next) {
				return nil, errNoMemory
			}
			nb := make([]byte, len(b), next)
			copy(nb, b)
			b = nb
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
