// Package apierr defines the errors the query API reports to clients: each
// carries an HTTP status, a stable machine-readable code and a message safe to
// show. Any other error is an internal error whose details stay in the log.
package apierr
