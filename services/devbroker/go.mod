module github.com/cemhq/cem/services/devbroker

go 1.26.0

require (
	github.com/kelseyhightower/envconfig v1.4.0
	github.com/klauspost/compress v1.15.9 // indirect
	github.com/pierrec/lz4/v4 v4.1.15 // indirect
	github.com/segmentio/kafka-go v0.4.51
	github.com/stretchr/testify v1.12.1
)
