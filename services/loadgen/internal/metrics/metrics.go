// Package metrics scrapes Prometheus text endpoints for the few series a
// benchmark watches (consumer lag, rows written), parsed with
// prometheus/common's expfmt.
package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sum returns the sum of every sample of the counter, gauge or untyped
// metric name at url whose labels include every pair of labels (nil: all
// samples); 0 when the metric is absent.
func Sum(ctx context.Context, url, name string, labels map[string]string) (float64, error) {
	p, err := Scrape(ctx, url)
	if err != nil {
		return 0, err
	}
	return p.Sum(name, labels), nil
}

// Page is one scrape of a metrics endpoint.
type Page map[string]*dto.MetricFamily

// Scrape fetches and parses the metrics at url once, for a watcher that
// reads several series per poll (each scrape costs the watched process CPU).
func Scrape(ctx context.Context, url string) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	return parse(resp.Body)
}

func parse(in io.Reader) (Page, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(in)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return families, nil
}

// Sum is the package's Sum on the page.
func (p Page) Sum(name string, labels map[string]string) float64 {
	var total float64
	for _, m := range p[name].GetMetric() {
		if matches(m, labels) {
			total += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		}
	}
	return total
}

func matches(m *dto.Metric, labels map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(labels)
}
