package events_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestFailureRawRedactsWriteKeys(t *testing.T) {
	for _, raw := range []string{
		`{"writeKey":"secret-key-1","userId":"u1"}`,
		`{"userId":"u1", "WRITEKEY" : "secret-key-1"}`,
		`{"write_key":"secret-key-1"}`,
		`{"writeKey":"secret\"key-1 with \\ escapes"}`,
		`{"writeKey":"secret-key-1",` + `"broken json`,
	} {
		var f events.Failure
		f.SetRaw([]byte(raw), 0)
		assert.NotContains(t, f.Raw, "secret", raw)
		assert.Contains(t, f.Raw, `"[redacted]"`, raw)
		assert.False(t, f.Truncated)
	}
	// A configured key anywhere else in the payload.
	var f events.Failure
	f.SetRaw([]byte(`{"userId":"u1","properties":{"note":"my key is srv-secret-9"}}`), 0, "srv-secret-9", "")
	assert.Equal(t, `{"userId":"u1","properties":{"note":"my key is [redacted]"}}`, f.Raw)
	// Nothing to redact: unchanged.
	f.SetRaw([]byte(`{"userId":"u1","properties":{"keyword":"x"}}`), 0)
	assert.Equal(t, `{"userId":"u1","properties":{"keyword":"x"}}`, f.Raw)
}

func TestFailureRawIsCapped(t *testing.T) {
	raw := `{"writeKey":"secret-key-1","p":"` + strings.Repeat("ü", 100<<10) + `"}`
	var f events.Failure
	f.SetRaw([]byte(raw), 1001)
	assert.True(t, f.Truncated)
	assert.Equal(t, len(raw), f.RawBytes)
	assert.LessOrEqual(t, len(f.Raw), 1001)
	assert.Greater(t, len(f.Raw), 990)
	assert.True(t, utf8.ValidString(f.Raw), "cut at a rune boundary")
	assert.NotContains(t, f.Raw, "secret")
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"truncated":true`)

	// The default cap keeps a record of a 2 MB event far below Kafka's 1 MB
	// even with every byte escaped.
	f.SetRaw([]byte(strings.Repeat("\x01", 2<<20)), 0)
	b, err = json.Marshal(f)
	require.NoError(t, err)
	assert.Less(t, len(b), 1<<19)
}

// FuzzFailureSetRaw: the raw payload of a DLQ record stays within its cap,
// keeps no configured key and no writeKey value, and stays valid JSON and
// valid UTF-8 when it was.
func FuzzFailureSetRaw(f *testing.F) {
	f.Add([]byte(`{"writeKey":"SECRET-KEY-ONE","userId":"u1"}`), uint16(1000), "SECRET-KEY-ONE")
	f.Add([]byte(`{"a":{"WriteKey" : "x\"y"},"b":"SECRET-KEY-ONE and more"}`), uint16(20), "SECRET-KEY-ONE")
	f.Add([]byte(`["writeKey",{"write_key":1},"writekey"]`), uint16(5), "")
	f.Fuzz(func(t *testing.T, data []byte, max uint16, secret string) {
		limit := int(max%4096) + 1
		var fl events.Failure
		fl.SetRaw(data, limit, secret)
		if len(fl.Raw) > limit {
			t.Fatalf("raw is %d bytes, cap %d", len(fl.Raw), limit)
		}
		if fl.Truncated != (fl.RawBytes > 0) || (fl.Truncated && fl.RawBytes != len(data)) {
			t.Fatalf("truncated %v, rawBytes %d, received %d", fl.Truncated, fl.RawBytes, len(data))
		}
		if utf8.Valid(data) && !utf8.ValidString(fl.Raw) {
			t.Fatalf("raw is no longer UTF-8: %q", fl.Raw)
		}
		// Keys as configured: long, of characters that "[redacted]" and
		// JSON syntax do not use.
		plain := len(secret) >= 8 && strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == ""
		if plain && strings.Contains(fl.Raw, secret) {
			t.Fatalf("configured key kept: %q", fl.Raw)
		}
		var doc map[string]any
		if fl.Truncated || json.Unmarshal(data, &doc) != nil {
			return
		}
		if !json.Valid([]byte(fl.Raw)) {
			t.Fatalf("valid JSON in, invalid out: %q", fl.Raw)
		}
		if k, ok := doc["writeKey"].(string); ok && len(k) >= 4 && bytes.Contains(data, []byte(`"writeKey":`)) && strings.Count(string(data), "writeKey") == 1 && strings.Contains(fl.Raw, `"writeKey":"`+k+`"`) {
			t.Fatalf("writeKey kept: %q", fl.Raw)
		}
	})
}

// TestFailureEncodeIsBounded: at the largest CEM_DLQ_MAX_RAW_BYTES
// (262144), a payload of characters JSON escapes would make a record of up
// to 6 bytes per byte, beyond kafka-go's 1 MiB message limit (the whole DLQ
// write would fail). Encode keeps < > & as they are and cuts Raw further
// when escaping still makes the record too long.
func TestFailureEncodeIsBounded(t *testing.T) {
	const maxSetting = 256 << 10
	for name, fill := range map[string]string{"html": "<", "control": "\x01", "u2028": "\u2028", "invalid": "\xff"} {
		t.Run(name, func(t *testing.T) {
			payload := []byte(`{"p":"` + strings.Repeat(fill, (600<<10)/len(fill)) + `"}`)
			f := events.Failure{V: 1, Stage: "collector", Reason: events.ReasonSize, Error: "too large"}
			f.SetRaw(payload, maxSetting)
			b := f.Encode()
			assert.LessOrEqual(t, len(b), events.MaxFailureBytes)
			var back events.Failure
			require.NoError(t, json.Unmarshal(b, &back))
			assert.True(t, back.Truncated)
			assert.Equal(t, len(payload), back.RawBytes, "rawBytes is the size as received")
			assert.True(t, strings.HasPrefix(string(payload), f.Raw), "raw is a prefix of the payload")
			assert.NotEmpty(t, back.Raw)
			if name == "html" {
				assert.Len(t, back.Raw, maxSetting, "< > & are not escaped: the whole cap is kept")
				assert.Contains(t, string(b), "<<<<")
			}
		})
	}
	f := events.Failure{V: 1, Stage: "processor", Reason: events.ReasonDecode, Error: "bad"}
	f.SetRaw([]byte(`{"a":"<b>"}`), 0)
	var back events.Failure
	require.NoError(t, json.Unmarshal(f.Encode(), &back))
	assert.Equal(t, `{"a":"<b>"}`, back.Raw, "a short record is not cut")
	assert.False(t, back.Truncated)
}
