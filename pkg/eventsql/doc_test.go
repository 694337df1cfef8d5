package eventsql_test

import (
	"fmt"

	"github.com/cemhq/cem/pkg/eventsql"
)

// A customer's orders in a time range: the arguments are the key set, then
// eventsql.RangeArgs(from, to).
func ExampleSource() {
	fmt.Println("SELECT count(), sum(revenue) FROM " + eventsql.Source("cem", eventsql.Query{
		Cols: []string{"revenue"}, Keys: true, Match: "event = 'Order Completed'", Range: true, Where: "is_bot = 0"}))
	// Output: SELECT count(), sum(revenue) FROM (SELECT revenue FROM cem.events FINAL PREWHERE customer_key IN ? AND (event = 'Order Completed') AND ts_ms >= ? AND ts_ms < ? WHERE ts_ms >= ? AND ts_ms < ? AND (is_bot = 0))
}
