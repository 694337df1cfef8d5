package httpload

import (
	"slices"
	"time"
)

// Latency summarizes request latencies in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summarize returns the percentiles of ds (nearest rank); ds is sorted in
// place.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	q := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ms(ds[max(0, min(len(ds)-1, i))])
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{P50: q(0.5), P90: q(0.9), P99: q(0.99), P999: q(0.999), Max: ms(ds[len(ds)-1]), Mean: ms(sum / time.Duration(len(ds)))}
}
