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
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}
