package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// NewRegistry returns a fresh registry with the Go runtime and process
// collectors and a cem_build_info{service,version} gauge set to 1.
func NewRegistry(service, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	promauto.With(reg).NewGaugeVec(prometheus.GaugeOpts{
		Name: "cem_build_info",
		Help: "Build information of the running service; always 1.",
	}, []string{"service", "version"}).WithLabelValues(service, version).Set(1)
	return reg
}
