package dlq

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/events"
)

// Replayer replays selected DLQ records.
type Replayer struct {
	Topic  Topic
	Filter Filter
	// Collector is the collector's base URL (http://host:8080).
	Collector string
	// WriteKeys maps a source to its write key.
	WriteKeys map[string]string
	// EventsTopic receives processor-stage records (cem.events).
	EventsTopic string
	// Batch is the most events per /v1/import request or produce call.
	Batch int
	// OffsetsPath, when set, is read to resume and written after every
	// replayed batch.
	OffsetsPath string
	// DryRun reads and counts without replaying or saving offsets.
	DryRun bool
	HTTP   *http.Client

	pending map[string][][]byte // source -> compact events
	client  map[string]bool     // sources /v1/import refused (client sources)
	records []kafka.Message
	writer  *kafka.Writer
	report  Report
}

// Report counts what a replay did.
type Report struct {
	Read     int `json:"read"`
	Selected int `json:"selected"`
	// Collector-stage events sent to /v1/import and the collector's answer.
	Sent       int `json:"sent_to_collector"`
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected_again"`
	// Produced is the processor-stage records written to the events topic.
	Produced int `json:"produced"`
	// Skipped counts selected records not replayed, by why: suppressed
	// (GDPR: never), truncated (raw incomplete), undecodable (a
	// processor record that still does not decode), unknown stage, and
	// not_a_record (a record that is not an events.Failure).
	Skipped map[string]int `json:"skipped,omitempty"`
}

func (r *Replayer) skip(why string) {
	if r.report.Skipped == nil {
		r.report.Skipped = map[string]int{}
	}
	r.report.Skipped[why]++
}

// Run replays the selected records from the saved offsets to the end of
// the topic and returns what it did. On an error the offsets saved so far
// stay valid: a second run resumes after the last replayed batch.
func (r *Replayer) Run(ctx context.Context) (Report, error) {
	r.report = Report{}
	r.pending = map[string][][]byte{}
	from := Offsets{}
	if r.OffsetsPath != "" {
		var err error
		if from, err = LoadOffsets(r.OffsetsPath, r.Topic.Name); err != nil {
			return r.report, err
		}
	}
	r.writer = &kafka.Writer{Addr: kafka.TCP(r.Topic.Brokers...), Topic: r.EventsTopic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: max(r.Batch, 1)}
	defer func() { _ = r.writer.Close() }()
	progress := Offsets{}
	for p, o := range from {
		progress[p] = o
	}
	checkpoint := func(partition int, next int64) error {
		if err := r.flush(ctx); err != nil {
			return err
		}
		progress[partition] = next
		if r.OffsetsPath == "" || r.DryRun {
			return nil
		}
		return progress.Save(r.OffsetsPath, r.Topic.Name)
	}
	err := r.Topic.Scan(ctx, from, func(rec Record) error {
		full, err := r.add(rec)
		if err != nil || !full {
			return err
		}
		return checkpoint(rec.Partition, rec.Offset+1)
	}, checkpoint)
	return r.report, err
}

// add queues rec when it is selected and replayable; full reports that a
// batch is ready.
func (r *Replayer) add(rec Record) (full bool, err error) {
	r.report.Read++
	if rec.Err != nil {
		r.skip("not_a_record")
		return false, nil
	}
	f := rec.Failure
	if !r.Filter.Match(f) {
		return false, nil
	}
	r.report.Selected++
	if why := Unreplayable(f); why != "" {
		r.skip(why)
		return false, nil
	}
	switch f.Stage {
	case "collector":
		if _, ok := r.WriteKeys[f.Source]; !ok {
			return false, fmt.Errorf("partition %d offset %d: no write key for source %q (give it with -write-keys, or leave the source out with -source)",
				rec.Partition, rec.Offset, f.Source)
		}
		line, err := ReplayEvent([]byte(f.Raw), f.At)
		if err != nil {
			r.skip("undecodable")
			return false, nil
		}
		r.pending[f.Source] = append(r.pending[f.Source], line)
		return len(r.pending[f.Source]) >= r.Batch, nil
	case "processor":
		ev, err := events.Unmarshal([]byte(f.Raw))
		if err != nil {
			r.skip("undecodable")
			return false, nil
		}
		r.records = append(r.records, kafka.Message{Key: []byte(ev.CustomerKey()), Value: []byte(f.Raw)})
		return len(r.records) >= r.Batch, nil
	default:
		r.skip("unknown_stage")
		return false, nil
	}
}

// flush replays what is queued.
func (r *Replayer) flush(ctx context.Context) error {
	if r.DryRun {
		for _, lines := range r.pending {
			r.report.Sent += len(lines)
		}
		r.report.Produced += len(r.records)
		clear(r.pending)
		r.records = r.records[:0]
		return nil
	}
	for _, src := range slices.Sorted(maps.Keys(r.pending)) {
		if err := r.importEvents(ctx, src, r.pending[src]); err != nil {
			return err
		}
		delete(r.pending, src)
	}
	if len(r.records) > 0 {
		if err := r.writer.WriteMessages(ctx, r.records...); err != nil {
			return fmt.Errorf("produce to %s: %w", r.EventsTopic, err)
		}
		r.report.Produced += len(r.records)
		r.records = r.records[:0]
	}
	return nil
}

// ReplayFile sends the events of an NDJSON file (one event per line, as
// dlq export writes them, fixed) through the collector as source.
func (r *Replayer) ReplayFile(ctx context.Context, source string, in io.Reader) (Report, error) {
	r.report = Report{}
	if _, ok := r.WriteKeys[source]; !ok {
		return r.report, fmt.Errorf("no write key for source %q", source)
	}
	var lines [][]byte
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 32<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		return r.report, fmt.Errorf("read events: %w", err)
	}
	r.report.Read, r.report.Selected = len(lines), len(lines)
	for chunk := range slices.Chunk(lines, max(r.Batch, 1)) {
		if r.DryRun {
			r.report.Sent += len(chunk)
			continue
		}
		if err := r.importEvents(ctx, source, chunk); err != nil {
			return r.report, err
		}
	}
	return r.report, nil
}

// importAnswer is the part of the collector's answer a replay reports.
type importAnswer struct {
	Accepted   int               `json:"accepted"`
	Duplicates int               `json:"duplicates"`
	Rejected   []json.RawMessage `json:"rejected"`
	Error      string            `json:"error"`
}

// errClientSource is the collector's 403 for /v1/import with the key of a
// client source (browser and app keys are public and may not import).
var errClientSource = errors.New("client source")

// maxBatchBody keeps a /v1/batch request well below the collector's default
// batch limit (CEM_MAX_BATCH_BYTES, 500 KB).
const maxBatchBody = 256 << 10

// importEvents sends the events of source through the collector: to
// /v1/import, which keeps each event's timestamp, or, for a client source
// (refused there), to /v1/batch without the events' sentAt, so the
// collector keeps their timestamp instead of correcting it for a clock
// skew of days.
func (r *Replayer) importEvents(ctx context.Context, source string, lines [][]byte) error {
	if !r.client[source] {
		err := r.post(ctx, source, "/v1/import", "application/x-ndjson", bytes.Join(lines, []byte("\n")), len(lines))
		if !errors.Is(err, errClientSource) {
			return err
		}
		if r.client == nil {
			r.client = map[string]bool{}
		}
		r.client[source] = true
	}
	var batch [][]byte
	size := 0
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		body := append(append([]byte(`{"batch":[`), bytes.Join(batch, []byte(","))...), "]}"...)
		n := len(batch)
		batch, size = batch[:0], 0
		return r.post(ctx, source, "/v1/batch", "application/json", body, n)
	}
	for _, line := range lines {
		ev, err := ReplayEvent(line, time.Time{})
		if err != nil {
			return fmt.Errorf("replay an event of source %s: %w", source, err)
		}
		if size+len(ev) > maxBatchBody {
			if err := send(); err != nil {
				return err
			}
		}
		batch, size = append(batch, ev), size+len(ev)+1
	}
	return send()
}

// ReplayEvent prepares a collector-stage raw event received at at for
// sending again: when it carries its own sentAt, the collector's clock-skew
// correction of the first receipt is applied now (timestamp = at - (sentAt
// - timestamp)) and sentAt is dropped, so the replay keeps the event's
// time; write key members go too.
// A zero at only drops them. It fails unless raw is a JSON object.
func ReplayEvent(raw []byte, at time.Time) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	var sent, ts time.Time
	for k, v := range m {
		switch strings.ToLower(k) {
		case "sentat":
			_ = json.Unmarshal(v, &sent)
			delete(m, k)
		case "writekey", "write_key":
			delete(m, k)
		case "timestamp":
			_ = json.Unmarshal(v, &ts)
		}
	}
	if !at.IsZero() && !sent.IsZero() && !ts.IsZero() {
		corrected := at.Add(-sent.Sub(ts)).UTC().Truncate(time.Millisecond)
		m["timestamp"], _ = json.Marshal(corrected.Format(time.RFC3339Nano))
	}
	return json.Marshal(m)
}

// post sends body (n events) to the collector's path with the source's key,
// retrying while the collector is unavailable (429, 5xx, no connection).
func (r *Replayer) post(ctx context.Context, source, path, contentType string, body []byte, n int) error {
	url := strings.TrimRight(r.Collector, "/") + path
	ans, err := backoff.Retry(ctx, func() (importAnswer, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return importAnswer{}, backoff.Permanent(err)
		}
		req.SetBasicAuth(r.WriteKeys[source], "")
		req.Header.Set("Content-Type", contentType)
		resp, err := r.HTTP.Do(req)
		if err != nil {
			return importAnswer{}, err
		}
		defer func() { _ = resp.Body.Close() }()
		var a importAnswer
		decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&a)
		switch {
		case resp.StatusCode == http.StatusForbidden && path == "/v1/import":
			return a, backoff.Permanent(errClientSource)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return a, fmt.Errorf("collector answered %s: %s", resp.Status, a.Error)
		case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest || decodeErr != nil:
			return a, backoff.Permanent(fmt.Errorf("collector answered %s: %s", resp.Status, a.Error))
		}
		return a, nil
	}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(2*time.Minute))
	if errors.Is(err, errClientSource) {
		return err
	}
	if err != nil {
		return fmt.Errorf("replay %d events of source %s to %s: %w", n, source, path, err)
	}
	r.report.Sent += n
	r.report.Accepted += ans.Accepted
	r.report.Duplicates += ans.Duplicates
	r.report.Rejected += len(ans.Rejected)
	return nil
}

// Unreplayable tells why f must not be replayed: "suppressed" (erased on
// request, GDPR), "truncated" (raw holds only the start of the payload), or
// "" when it may be.
func Unreplayable(f events.Failure) string {
	switch {
	case f.Reason == events.ReasonSuppressed:
		return "suppressed"
	case f.Truncated:
		return "truncated"
	}
	return ""
}
