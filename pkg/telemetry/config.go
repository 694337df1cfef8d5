package telemetry

import (
	"errors"
	"fmt"
)

// ConfigCheck collects a configuration's errors; every error starts with the
// environment variable it is about, so an operator knows what to fix. A
// service's Validate method uses one:
//
//	var c telemetry.ConfigCheck
//	c.Require(cfg.Workers > 0, "CEM_X_WORKERS", "must be positive, got %d", cfg.Workers)
//	return c.Err()
type ConfigCheck struct{ errs []error }

// Require records "variable: message" unless ok.
func (c *ConfigCheck) Require(ok bool, variable, format string, a ...any) {
	if !ok {
		c.errs = append(c.errs, fmt.Errorf("%s: %s", variable, fmt.Sprintf(format, a...)))
	}
}

// Add records err (a nested configuration's Validate) unless it is nil.
func (c *ConfigCheck) Add(err error) {
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

// Err returns every recorded error joined, or nil.
func (c *ConfigCheck) Err() error { return errors.Join(c.errs...) }
