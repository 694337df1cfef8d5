package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// ReadHead reads the write key and the number of events as the decoders
// do, on the scanner's path and on encoding/json's.
func TestReadHeadAgreesWithDecoding(t *testing.T) {
	d := decoder(t)
	for _, body := range []string{
		`{"batch":[0,1,{"type":"track","userId":"u","event":"e"}],"writeKey":"k1"}`,
		`{"writeKey":"k\u0031","batch":[]}`,
		`{"WriteKey":"k2","batch":[{},{}]}`,              // case variant: encoding/json
		`{"batch":[{}],"writeKey":"k1","writeKey":"k3"}`, // repeated: the last wins
		`{"bat\u0063h":[1,2,3]}`,                         // escaped key
		`{"batch":[[[[]]]],"writeKey":null}`,
		`{"batch":[1],"writeKey":7}`,
		` {"x":{"writeKey":"inner"},"batch":[` + strings.Repeat(`"a",`, 999) + `"a"]} `,
	} {
		h, err := events.ReadHead([]byte(body), false)
		require.NoError(t, err, body)
		b, err := d.DecodeBatch([]byte(body), time.Now())
		if err == nil {
			assert.Equal(t, b.WriteKey, h.WriteKey, body)
			assert.Len(t, b.Items, h.Events, body)
		}
		assert.True(t, h.Batch, body)
	}
	h, err := events.ReadHead([]byte(`{"type":"track","writeKey":"k1","event":"e"}`), false)
	require.NoError(t, err)
	assert.Equal(t, events.Head{WriteKey: "k1", Events: 1}, h)
	_, err = events.ReadHead([]byte(`{"batch":[1,]}`), false)
	require.Error(t, err)
	_, err = events.ReadHead([]byte(`[1]`), false)
	require.Error(t, err)
	h, err = events.ReadHead([]byte("{\"type\":\"track\"}\n\n{\"a\":1}\n"), true)
	require.NoError(t, err)
	assert.Equal(t, events.Head{Events: 2}, h)
}

// A head of many tiny events costs nothing per event.
func TestReadHeadAllocatesNothingPerEvent(t *testing.T) {
	body := []byte(`{"batch":[` + strings.TrimSuffix(strings.Repeat("0,", 100000), ",") + `]}`)
	allocs := testing.AllocsPerRun(5, func() {
		h, err := events.ReadHead(body, false)
		if err != nil || h.Events != 100000 {
			t.Fatal(h, err)
		}
	})
	assert.LessOrEqual(t, allocs, 2.0)
	upper := []byte(strings.Replace(string(body), `"batch"`, `"Batch"`, 1))
	allocs = testing.AllocsPerRun(5, func() {
		h, err := events.ReadHead(upper, false)
		if err != nil || h.Events != 100000 {
			t.Fatal(h, err)
		}
	})
	assert.LessOrEqual(t, allocs, 100.0)
}
