package telemetry

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// HTTPConfig bounds what a client costs a server before its request is
// handled: how long it may take over its headers and its body and how long
// an idle keep-alive connection stays open. Every cem server embeds it
// (CEM_HTTP_*); a zero field takes its default.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers
	// (CEM_HTTP_READ_HEADER_TIMEOUT). Default 5s.
	ReadHeaderTimeout time.Duration `envconfig:"HTTP_READ_HEADER_TIMEOUT" default:"5s"`
	// BodyTimeout bounds reading a request body, whatever its rate
	// (CEM_HTTP_BODY_TIMEOUT). Default 30s.
	BodyTimeout time.Duration `envconfig:"HTTP_BODY_TIMEOUT" default:"30s"`
	// BodyGrace and BodyMinRate: once BodyGrace has passed, a body must
	// have arrived at BodyMinRate bytes/s on average since the request
	// started, else its read fails and the connection is closed
	// (CEM_HTTP_BODY_GRACE, CEM_HTTP_BODY_MIN_RATE). A client that trickles
	// one byte a second is cut after about BodyGrace. Defaults 5s and
	// 4096 bytes/s.
	BodyGrace   time.Duration `envconfig:"HTTP_BODY_GRACE" default:"5s"`
	BodyMinRate int           `envconfig:"HTTP_BODY_MIN_RATE" default:"4096"`
	// IdleTimeout closes keep-alive connections idle this long
	// (CEM_HTTP_IDLE_TIMEOUT). Default 2m.
	IdleTimeout time.Duration `envconfig:"HTTP_IDLE_TIMEOUT" default:"2m"`
	// MaxHeaderBytes bounds a request's headers (CEM_HTTP_MAX_HEADER_BYTES,
	// bytes). Default 65536.
	MaxHeaderBytes int `envconfig:"HTTP_MAX_HEADER_BYTES" default:"65536"`
}

// Validate reports negative values, each naming its variable (zero takes
// the default).
func (c HTTPConfig) Validate() error {
	var v ConfigCheck
	v.Require(c.ReadHeaderTimeout >= 0, "CEM_HTTP_READ_HEADER_TIMEOUT", "must not be negative, got %s", c.ReadHeaderTimeout)
	v.Require(c.BodyTimeout >= 0, "CEM_HTTP_BODY_TIMEOUT", "must not be negative, got %s", c.BodyTimeout)
	v.Require(c.BodyGrace >= 0, "CEM_HTTP_BODY_GRACE", "must not be negative, got %s", c.BodyGrace)
	v.Require(c.BodyMinRate >= 0, "CEM_HTTP_BODY_MIN_RATE", "must not be negative, got %d", c.BodyMinRate)
	v.Require(c.IdleTimeout >= 0, "CEM_HTTP_IDLE_TIMEOUT", "must not be negative, got %s", c.IdleTimeout)
	v.Require(c.MaxHeaderBytes >= 0, "CEM_HTTP_MAX_HEADER_BYTES", "must not be negative, got %d", c.MaxHeaderBytes)
	return v.Err()
}

// WithDefaults returns c with every zero field set to its default.
func (c HTTPConfig) WithDefaults() HTTPConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.BodyTimeout, 30*time.Second)
	def(&c.BodyGrace, 5*time.Second)
	def(&c.IdleTimeout, 2*time.Minute)
	if c.BodyMinRate <= 0 {
		c.BodyMinRate = 4096
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	return c
}

// Server returns an http.Server for h with the header, idle and size
// bounds of c, and h wrapped by Guard. It sets no ReadTimeout: Go applies
// that deadline to the whole connection while the handler runs, and its
// expiry cancels the request's context (a long query would be cut); Guard
// bounds the body instead.
func (c HTTPConfig) Server(h http.Handler) *http.Server {
	c = c.WithDefaults()
	return &http.Server{
		Handler:           c.Guard(h),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}

// Guard bounds the request bodies h reads. Each read extends the
// connection's read deadline to start + BodyGrace + received/BodyMinRate,
// never beyond start + BodyTimeout; at the end of the body the deadline is
// lifted. When h answers without reading the body to its end, the answer
// closes the connection and the rest is not read: Go's server would
// otherwise read up to 256 KB of it, at the client's pace, before and
// after the answer.
func (c HTTPConfig) Guard(h http.Handler) http.Handler {
	c = c.WithDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		b := &guardedBody{
			rc: http.NewResponseController(w), rd: r.Body, start: time.Now(),
			grace: c.BodyGrace, rate: c.BodyMinRate, end: c.BodyTimeout,
		}
		b.extend(0)
		r.Body = b
		h.ServeHTTP(&closingWriter{ResponseWriter: w, b: b}, r)
		b.finish()
	})
}

// ShortenBody lowers the body deadline of a request guarded by Guard to at
// most d after the request started (a caller that learns the client is not
// authenticated gives it less time). It reports false when r is not
// guarded.
func ShortenBody(r *http.Request, d time.Duration) bool {
	b, ok := r.Body.(*guardedBody)
	if !ok {
		return false
	}
	b.mu.Lock()
	if d < b.end {
		b.end = d
	}
	b.mu.Unlock()
	b.extend(0)
	return true
}

// IsSlowBody reports whether err is a body read that failed because the
// client sent it too slowly (Guard's deadline).
func IsSlowBody(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// guardedBody is a request body whose reads move the read deadline.
type guardedBody struct {
	rc    *http.ResponseController
	rd    io.ReadCloser
	start time.Time
	grace time.Duration
	rate  int

	mu   sync.Mutex
	end  time.Duration // the body's whole-read bound, from start
	n    int64         // bytes read
	set  time.Time     // the deadline last set
	done bool          // EOF seen or the handler returned
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.rd.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		b.done = true
		b.mu.Unlock()
		// Lift the deadline: Go's server now watches the connection for
		// the client going away, and a timeout there would cancel the
		// request's context while the handler still works.
		_ = b.rc.SetReadDeadline(time.Time{})
		return n, err
	}
	b.extend(int64(n))
	return n, err
}

func (b *guardedBody) Close() error { return b.rd.Close() }

// extend moves the deadline by the bytes just read (it only grows, and is
// set again only when it moved by 100 ms or more).
func (b *guardedBody) extend(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.n += n
	allowed := b.grace + time.Duration(float64(b.n)/float64(b.rate)*float64(time.Second))
	allowed = min(allowed, b.end)
	dl := b.start.Add(allowed)
	if d := dl.Sub(b.set); d < 100*time.Millisecond && d > -100*time.Millisecond && n > 0 {
		return
	}
	b.set = dl
	_ = b.rc.SetReadDeadline(dl)
}

// finish runs when the handler returned: a body not read to its end is
// not read any further (the connection closes after the answer).
func (b *guardedBody) finish() {
	b.mu.Lock()
	unread := !b.done
	b.done = true
	b.mu.Unlock()
	if unread {
		_ = b.rc.SetReadDeadline(time.Now())
	}
}

func (b *guardedBody) unread() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.done
}

// closingWriter adds Connection: close to an answer written before the
// body was read to its end.
type closingWriter struct {
	http.ResponseWriter
	b     *guardedBody
	wrote bool
}

func (w *closingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if w.b.unread() && code >= 200 {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *closingWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush keeps streaming answers working through the wrapper.
func (w *closingWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *closingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
