// Package cli implements the loadgen subcommands. Each prints one JSON
// object on stdout (the figures) and progress on stderr.
package cli
