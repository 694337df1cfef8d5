// Command query serves the cem journey API and UI for CX teams on :8090.
// See internal/app for the wiring and README.md ("Query service") for the
// endpoints and configuration.
package main

import (
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
)

var version = "dev"

func main() { telemetry.Main("query", version, app.Run) }
