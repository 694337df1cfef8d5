// Package money sums amounts exactly. Amounts are stored as Float64 (the
// events' revenue column); adding floats gives answers that depend on the
// order of the addition (2293.1 or 2293.1000000000004 for the same orders),
// so every sum goes through integer units: 1/10000 of the currency unit,
// enough for every ISO 4217 currency (at most 3 decimals). In ClickHouse
// the same conversion is SQLUnits, summed as Int64.
package money
