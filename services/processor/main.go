// Command processor consumes cem.events and writes identities, sessions,
// customer timelines and scores into ClickHouse. See internal/app for the
// wiring and README.md ("Processor") for configuration and guarantees.
package main

import (
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/processor/internal/app"
)

var version = "dev"

func main() { telemetry.Main("processor", version, app.Run) }
