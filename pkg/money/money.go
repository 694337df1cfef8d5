package money

import (
	"fmt"
	"math"
)

// Scale is the number of units per currency unit.
const Scale = 10000

// Units converts an amount to integer units, rounding half to even like
// ClickHouse's round on a Float64.
func Units(amount float64) int64 { return int64(math.RoundToEven(amount * Scale)) }

// Amount converts units back to an amount: the closest float64 to the
// exact decimal, so equal unit sums always encode to the same JSON.
func Amount(units int64) float64 { return float64(units) / Scale }

// SQLUnits is the ClickHouse expression converting the Float64 expression
// expr to Int64 units, as Units does; sum it and convert the result with
// Amount.
func SQLUnits(expr string) string { return fmt.Sprintf("toInt64(round((%s) * %d))", expr, Scale) }
