package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/events"
)

// Record is one DLQ record with its position.
type Record struct {
	Partition int
	Offset    int64
	Value     []byte
	Failure   events.Failure
	// Err is set when the record is not a Failure; Failure is then empty.
	Err error
}

// Filter selects records; an empty list matches everything.
type Filter struct {
	Stages, Reasons, Sources []string
}

// Match reports whether f is selected.
func (fl Filter) Match(f events.Failure) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(fl.Stages, f.Stage) && in(fl.Reasons, string(f.Reason)) && in(fl.Sources, f.Source)
}

// Offsets is the next offset to read per partition.
type Offsets map[int]int64

// offsetsFile is the JSON form of an offsets file.
type offsetsFile struct {
	Topic string           `json:"topic"`
	Next  map[string]int64 `json:"next"`
	Saved time.Time        `json:"saved"`
}

// LoadOffsets reads an offsets file of topic; a missing file is no
// progress yet.
func LoadOffsets(path, topic string) (Offsets, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Offsets{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read offsets: %w", err)
	}
	var f offsetsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read offsets %s: %w", path, err)
	}
	if f.Topic != topic {
		return nil, fmt.Errorf("read offsets %s: saved for topic %q, not %q", path, f.Topic, topic)
	}
	out := Offsets{}
	for p, o := range f.Next {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("read offsets %s: partition %q: %w", path, p, err)
		}
		out[n] = o
	}
	return out, nil
}

// Save writes o to path atomically (a temporary file renamed over it).
func (o Offsets) Save(path, topic string) error {
	f := offsetsFile{Topic: topic, Next: map[string]int64{}, Saved: time.Now().UTC()}
	for p, n := range o {
		f.Next[strconv.Itoa(p)] = n
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save offsets: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dlq-offsets-*")
	if err != nil {
		return fmt.Errorf("save offsets: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save offsets: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save offsets: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save offsets: %w", err)
	}
	return nil
}

// Topic is a DLQ topic on a Kafka cluster.
type Topic struct {
	Brokers []string
	Name    string
}

// span is the part of a partition to read: [From, End).
type span struct {
	Partition int
	From, End int64
}

// spans returns, per partition in order, the records to read: from the
// saved offset (or the earliest one still kept) to the end at the time of
// the call, so a scan ends even while the collector keeps writing.
func (t Topic) spans(ctx context.Context, from Offsets) ([]span, error) {
	c := &kafka.Client{Addr: kafka.TCP(t.Brokers...), Timeout: 10 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{t.Name}})
	if err != nil {
		return nil, fmt.Errorf("read metadata: %w", err)
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return nil, fmt.Errorf("read metadata of %s: %v", t.Name, md.Topics)
	}
	var reqs []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
	}
	res, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{t.Name: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	var out []span
	for _, po := range res.Topics[t.Name] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of partition %d: %w", po.Partition, po.Error)
		}
		s := span{Partition: po.Partition, From: po.FirstOffset, End: po.LastOffset}
		if o, ok := from[po.Partition]; ok && o > s.From {
			s.From = o
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b span) int { return a.Partition - b.Partition })
	return out, nil
}

// Scan calls fn for every record from the offsets in from (the earliest
// kept where none is saved) to each partition's end at the time of the
// call, partition by partition, in offset order. end is called after a
// partition's last record with its end offset.
func (t Topic) Scan(ctx context.Context, from Offsets, fn func(Record) error, end func(partition int, next int64) error) error {
	spans, err := t.spans(ctx, from)
	if err != nil {
		return err
	}
	for _, s := range spans {
		if err := t.scanPartition(ctx, s, fn); err != nil {
			return err
		}
		if err := end(s.Partition, max(s.End, s.From)); err != nil {
			return err
		}
	}
	return nil
}

func (t Topic) scanPartition(ctx context.Context, s span, fn func(Record) error) error {
	if s.From >= s.End {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: t.Brokers, Topic: t.Name, Partition: s.Partition,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 200 * time.Millisecond})
	defer func() { _ = r.Close() }()
	if err := r.SetOffset(s.From); err != nil {
		return fmt.Errorf("seek partition %d: %w", s.Partition, err)
	}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("read partition %d at %d: %w", s.Partition, s.From, err)
		}
		rec := Record{Partition: m.Partition, Offset: m.Offset, Value: m.Value}
		if err := json.Unmarshal(m.Value, &rec.Failure); err != nil {
			rec.Err = fmt.Errorf("not a DLQ record: %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
		if m.Offset+1 >= s.End {
			return nil
		}
	}
}
