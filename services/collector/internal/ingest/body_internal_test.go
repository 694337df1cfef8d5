package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/semaphore"

	"github.com/cemhq/cem/pkg/events/eventstest"
)

// readReserved returns what io.ReadAll returns, whatever the size hint,
// and reserves at least the buffer it returns before allocating it.
func TestReadReservedMatchesIOReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	readers := map[string]func() io.Reader{
		"plain":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"error": func() io.Reader {
			return io.MultiReader(bytes.NewReader(data[:300]), iotest.ErrReader(errors.New("boom")))
		},
		"empty":     func() io.Reader { return bytes.NewReader(nil) },
		"truncated": func() io.Reader { return io.LimitReader(bytes.NewReader(data), 4321) },
	}
	for name, rd := range readers {
		want, wantErr := io.ReadAll(rd())
		for _, size := range []int{0, 1, 299, 4321, len(data) - 1, len(data), len(data) + 1, 3 * len(data)} {
			reserved := 0
			got, err := readReserved(rd(), size, 0, func(total int) bool { reserved = total; return true }, func(int) bool { return true })
			assert.Equal(t, wantErr, err, "%s, size %d", name, size)
			if wantErr == nil {
				assert.Equal(t, want, got, "%s, size %d", name, size)
				assert.GreaterOrEqual(t, reserved, cap(got), "%s, size %d: the buffer was reserved", name, size)
			}
		}
	}
}

func testReservation(budget int64) *reservation {
	return &reservation{sem: semaphore.NewWeighted(budget), max: budget, gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})}
}

// A claimed Content-Length larger than maxPrealloc is not allocated before
// the bytes arrive.
func TestReadBodyPreallocationIsCapped(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/import", strings.NewReader(`{"batch":[]}`))
	r.ContentLength = 20 << 20 // claimed, not sent
	res := testReservation(256 << 20)
	body, err := readBody(r, bodyLimits{max: 20 << 20}, res)
	require.Nil(t, err)
	assert.Equal(t, `{"batch":[]}`, string(body))
	assert.LessOrEqual(t, cap(body), maxPrealloc+1)
}

func gzipped(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func gzipRequest(body []byte) *http.Request {
	r := httptest.NewRequest("POST", "/v1/import", bytes.NewReader(body))
	r.Header.Set("Content-Encoding", "gzip")
	return r
}

// A gzip bomb is cut by the inflation ratio long before its limit, and the
// memory it held is what was reserved.
func TestReadBodyCutsGzipBombs(t *testing.T) {
	bomb := gzipped(t, bytes.Repeat([]byte{' '}, 20<<20)) // ~20 KB inflating to 20 MiB
	res := testReservation(256 << 20)
	_, err := readBody(gzipRequest(bomb), bodyLimits{max: 20 << 20, ratio: 100}, res)
	require.NotNil(t, err)
	assert.Equal(t, bodyInflation, err.reason)
	assert.Equal(t, http.StatusRequestEntityTooLarge, err.status)
	assert.Less(t, res.n, int64(8<<20), "reserved %d bytes", res.n)

	// Without a ratio, the inflated size limit applies.
	res = testReservation(256 << 20)
	_, err = readBody(gzipRequest(bomb), bodyLimits{max: 64 << 10, unauthenticated: true}, res)
	require.NotNil(t, err)
	assert.Equal(t, bodyUnauthTooLarge, err.reason)

	// A budget too small for the inflated body: refused before allocating.
	res = testReservation(1 << 20)
	_, err = readBody(gzipRequest(bomb), bodyLimits{max: 20 << 20}, res)
	require.NotNil(t, err)
	assert.Equal(t, bodyMemory, err.reason)
	assert.LessOrEqual(t, res.n, int64(1<<20))

	// An ordinary gzip batch (1000 analytics.js events inflating ~35-fold)
	// is read.
	doc := eventstest.Batch(1000, 1)
	got, err := readBody(gzipRequest(gzipped(t, doc)), bodyLimits{max: 20 << 20, ratio: 100}, testReservation(256<<20))
	require.Nil(t, err)
	assert.Equal(t, doc, got)
}

// FuzzReadBody: a body is read exactly (gunzipped when it says gzip) or
// refused; never more than the limit, and the buffer returned was
// reserved before it was allocated.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte(`{"batch":[]}`), false, uint16(100), uint8(0))
	f.Add(gzipped(f, bytes.Repeat([]byte("a"), 70<<10)), true, uint16(65535), uint8(10))
	f.Add(gzipped(f, []byte(`{"userId":"u1"}`)), true, uint16(8), uint8(100))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), true, uint16(1000), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, gz bool, max uint16, ratio uint8) {
		r := httptest.NewRequest("POST", "/v1/batch", bytes.NewReader(data))
		if gz {
			r.Header.Set("Content-Encoding", "gzip")
		}
		res := testReservation(1 << 30)
		lim := bodyLimits{max: int(max) + 1, ratio: int(ratio), sizeFromLength: true}
		body, berr := readBody(r, lim, res)
		want := data
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err == nil {
				want, err = io.ReadAll(io.LimitReader(zr, 1<<20))
			}
			if err != nil {
				want = nil
			}
		}
		if berr != nil {
			if berr.reason == bodyMemory {
				t.Fatalf("a 1 GiB budget ran out: %v", berr)
			}
			if want != nil && len(want) <= lim.max && len(data) <= lim.max && (!gz || ratio == 0 || len(want) <= ratioSlack) {
				t.Fatalf("refused a body within the limits: %v", berr)
			}
			return
		}
		if len(body) > lim.max {
			t.Fatalf("read %d bytes, limit %d", len(body), lim.max)
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("read %q, want %q", body, want)
		}
		if res.n < int64(cap(body)) {
			t.Fatalf("reserved %d bytes for a buffer of %d", res.n, cap(body))
		}
	})
}
