package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/apierr"
)

// Parameter limits.
const (
	maxListItems = 50
	maxParamLen  = 512
	maxBodyBytes = 1 << 20
)

// params reads query parameters, remembering the first error.
type params struct {
	v   url.Values
	err error
}

func newParams(r *http.Request) *params {
	p := &params{v: r.URL.Query()}
	for k, vs := range p.v {
		for _, s := range vs {
			if len(s) > 4096 || !utf8.ValidString(s) {
				p.setErr(apierr.BadParam(safeName(k), "must be valid UTF-8 of at most 4096 bytes"))
			}
		}
	}
	return p
}

func safeName(k string) string {
	if len(k) > 40 || !utf8.ValidString(k) {
		return "parameter"
	}
	return k
}

func (p *params) setErr(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *params) str(name, def string) string {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	if len(s) > maxParamLen {
		p.setErr(apierr.BadParam(name, "longer than %d bytes", maxParamLen))
		return def
	}
	return s
}

func (p *params) oneOf(name, def string, allowed ...string) string {
	s := p.str(name, def)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.setErr(apierr.BadParam(name, "must be one of %s", strings.Join(allowed, ", ")))
	return def
}

func (p *params) integer(name string, def, lo, hi int64) int64 {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		p.setErr(apierr.BadParam(name, "must be an integer between %d and %d", lo, hi))
		return def
	}
	return n
}

func (p *params) boolean(name string) bool {
	s := p.v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.setErr(apierr.BadParam(name, "must be true or false"))
	}
	return b
}

// maxTimeMs is year 9999: later times are rejected.
const maxTimeMs = 253402300799999

// timeMs parses epoch milliseconds or RFC 3339; empty gives 0.
func (p *params) timeMs(name string) int64 {
	s := p.v.Get(name)
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > maxTimeMs {
			p.setErr(apierr.BadParam(name, "epoch milliseconds must be between 0 and %d", int64(maxTimeMs)))
			return 0
		}
		return n
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Before(time.Unix(0, 0)) || t.UnixMilli() > maxTimeMs {
		p.setErr(apierr.BadParam(name, "must be epoch milliseconds or an RFC 3339 time after 1970"))
		return 0
	}
	return t.UnixMilli()
}

// date parses a YYYY-MM-DD day between 1970 and 2105 (ClickHouse Date).
func (p *params) date(name string, def time.Time) time.Time {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1970 || t.Year() > 2105 {
		p.setErr(apierr.BadParam(name, "must be a day YYYY-MM-DD between 1970 and 2105"))
		return def
	}
	return t
}

// list reads a comma-separated or repeated parameter.
func (p *params) list(name string) []string {
	var out []string
	for _, v := range p.v[name] {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(out) > maxListItems {
		p.setErr(apierr.BadParam(name, "at most %d values", maxListItems))
		return nil
	}
	for _, s := range out {
		if len(s) > maxParamLen {
			p.setErr(apierr.BadParam(name, "values must be at most %d bytes", maxParamLen))
			return nil
		}
	}
	return out
}

// errSlowBody answers a body that did not arrive within the server's body
// deadline (telemetry.HTTPConfig).
var errSlowBody = &apierr.Error{Status: http.StatusRequestTimeout, Code: "body_timeout", Message: "the request body arrived too slowly"}

// decodeBody decodes a JSON request body into v, rejecting unknown fields,
// trailing data and bodies over 1 MiB.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apierr.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("the body exceeds %d bytes", maxBodyBytes)}
		}
		if telemetry.IsSlowBody(err) {
			return errSlowBody
		}
		return apierr.BadParam("body", "invalid JSON: %s", jsonMsg(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierr.BadParam("body", "trailing data after the JSON object")
	}
	return nil
}

func jsonMsg(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "?")
}
