package record

import (
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
)

func TestKafkaGoRoundTrip(t *testing.T) {
	recs := []Record{
		{Key: []byte("k"), Value: []byte("v"), Headers: []Header{{Key: "cem-v", Value: []byte("1")}}},
		{Key: []byte("k2"), Value: []byte("v2")},
	}
	msgs := ToMessages(recs)
	assert.Equal(t, []kafka.Header{{Key: "cem-v", Value: []byte("1")}}, msgs[0].Headers)
	assert.Nil(t, msgs[1].Headers)
	for i, m := range msgs {
		m.Partition, m.Offset = 3, int64(40+i)
		got := FromMessage(m)
		want := recs[i]
		want.Partition, want.Offset = 3, int64(40+i)
		assert.Equal(t, want, got)
	}
}
