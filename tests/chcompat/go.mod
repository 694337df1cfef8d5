module github.com/cemhq/cem/tests/chcompat

go 1.26.0

require github.com/chdb-io/chdb-go v1.11.0

require (
	github.com/ebitengine/purego v0.8.2 // indirect
	golang.org/x/sys v0.22.0 // indirect
)
