// Package httpjson writes JSON answers of the cem services' HTTP APIs. The
// value is encoded completely before the status line is written, so an
// answer is either the whole JSON document with the intended status or a
// 500 with a JSON error: never a 200 with an empty or truncated body (which
// a value that cannot be encoded, such as a float64 +Inf, used to produce).
package httpjson
