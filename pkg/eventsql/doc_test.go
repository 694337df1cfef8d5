package eventsql_test

import (
	"fmt"

	"github.com/cemhq/cem/pkg/eventsql"
)

// A customer's orders: the key set is the first argument, the Match
// filter narrows before the copies collapse, the time range after.
func ExampleSource() {
	fmt.Println("SELECT count(), sum(revenue) FROM " + eventsql.Source("cem", eventsql.Query{
		Cols: []string{"revenue"}, Keys: true, Match: "event = 'Order Completed'", Where: "ts_ms >= ? AND is_bot = 0"}))
	// Output: SELECT count(), sum(revenue) FROM (SELECT revenue FROM cem.events FINAL PREWHERE customer_key IN ? AND (event = 'Order Completed') WHERE ts_ms >= ? AND is_bot = 0)
}
