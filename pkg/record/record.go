package record

// Record is one Kafka record.
type Record struct {
	// Key is the partitioning key.
	Key []byte
	// Value is the payload.
	Value []byte
	// Headers are the record headers, in order.
	Headers []Header
	// Partition and Offset locate a consumed record (zero when producing).
	Partition int
	Offset    int64
	// Decoded is what a consumer made of Value ahead of its handler (see the
	// processor's ingest.Preparer); nil when nothing was. Not produced.
	Decoded any
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}
