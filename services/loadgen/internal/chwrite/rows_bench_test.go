package chwrite_test

import (
	"testing"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/chwrite"
	"github.com/cemhq/cem/services/loadgen/internal/kafkaload"
	"github.com/cemhq/cem/services/loadgen/internal/population"
)

// BenchmarkDecodeAndMap is the baseline drain's per-event CPU: decode a
// Kafka record and map it to an events row.
func BenchmarkDecodeAndMap(b *testing.B) {
	pop := population.New(population.Config{Seed: 1, Customers: 100})
	var evs []events.Event
	for i := range 20 {
		evs = append(evs, pop.Journey(i)...)
	}
	msgs, err := kafkaload.Messages(evs)
	if err != nil {
		b.Fatal(err)
	}
	c := chwrite.NewColumnar(b.N)
	i := 0
	for b.Loop() {
		ev, err := events.Unmarshal(msgs[i%len(msgs)].Value)
		if err != nil {
			b.Fatal(err)
		}
		c.Add(&chwrite.Row{Event: &ev, CustomerID: ev.CustomerKey()})
		i++
	}
}
