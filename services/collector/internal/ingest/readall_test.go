package ingest

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
)

// readAll returns what io.ReadAll returns, whatever the size hint.
func TestReadAllMatchesIOReadAll(t *testing.T) {
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
			got, err := readAll(rd(), size)
			assert.Equal(t, wantErr, err, "%s, size %d", name, size)
			assert.Equal(t, want, got, "%s, size %d", name, size)
		}
	}
}

// A claimed Content-Length larger than maxPrealloc is not allocated before
// the bytes arrive.
func TestReadBodyPreallocationIsCapped(t *testing.T) {
	r := httptest.NewRequest("POST", "/v1/import", strings.NewReader(`{"batch":[]}`))
	r.ContentLength = 20 << 20 // claimed, not sent
	body, _, err := readBody(r, 20<<20)
	assert.NoError(t, err)
	assert.Equal(t, `{"batch":[]}`, string(body))
	assert.LessOrEqual(t, cap(body), maxPrealloc+1)
}
