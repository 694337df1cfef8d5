package ingest

import (
	"context"
	"errors"
	"fmt"
	"github.com/cemhq/cem/pkg/record"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// produce writes msgs to Kafka and waits for the outcome until wait ends
// (the client went away or CEM_PRODUCE_TIMEOUT passed). The write itself
// is not tied to the request: a Kafka client writes a batch it has taken
// even when its caller stops waiting, so the write runs on a context of
// its own (bounded by the writer's timeouts and attempts) and, whenever it
// ends, settle records what was stored: the ids of every acknowledged event
// go into the dedup set (the client's retry is then a duplicate) and
// cem_collector_events_total counts them as accepted, the others as failed.
// The request's memory reservation and its hold of the suppression list
// (tied to the reservation) are held until the write ends.
func (h *Handler) produce(wait, req context.Context, source string, msgs []record.Record, ids, types []string, res *reservation) error {
	if len(msgs) == 0 {
		return nil
	}
	release := res.handOver()
	outcome := make(chan error, 1)
	start := h.now()
	go func() {
		defer release()
		err := h.sink.Produce(context.WithoutCancel(req), msgs)
		h.settle(source, ids, types, err, start)
		outcome <- err
	}()
	select {
	case err := <-outcome:
		return err
	case <-wait.Done():
		return fmt.Errorf("no acknowledgement from Kafka yet (the write goes on and is recorded when it ends): %w", wait.Err())
	}
}

// settle records the outcome of a write of the events ids (of types).
func (h *Handler) settle(source string, ids, types []string, err error, start time.Time) {
	var werrs kafka.WriteErrors
	if err != nil && !errors.As(err, &werrs) {
		tally := map[string]int{}
		for _, t := range types {
			tally[t]++
		}
		for t, n := range tally {
			h.m.events.WithLabelValues(source, t, "failed").Add(float64(n))
		}
		return
	}
	h.m.produce.Observe(h.now().Sub(start).Seconds())
	stored := ids
	if werrs != nil {
		stored = make([]string, 0, len(ids))
	}
	tally := map[[2]string]int{}
	for i, t := range types {
		outcome := "accepted"
		if werrs != nil {
			if i < len(werrs) && werrs[i] != nil {
				outcome = "failed"
			} else {
				stored = append(stored, ids[i])
			}
		}
		tally[[2]string{t, outcome}]++
	}
	for k, n := range tally {
		h.m.events.WithLabelValues(source, k[0], k[1]).Add(float64(n))
	}
	h.dedup.Add(source, stored...)
	if werrs != nil && len(stored) > 0 {
		h.log.Warn("kafka stored part of a request", "source", source, "stored", len(stored), "failed", len(ids)-len(stored))
	}
}

// errSummary is err for a log line. kafka-go's WriteErrors holds one error
// per message and prints every one (a 4 KB line repeating "broker down" for
// a 100-event batch); the summary names each distinct error once with the
// number of events it hit.
func errSummary(err error) string {
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) {
		return err.Error()
	}
	counts := map[string]int{}
	var distinct []string
	for _, e := range werrs {
		if e == nil {
			continue
		}
		msg := e.Error()
		if counts[msg] == 0 {
			distinct = append(distinct, msg)
		}
		counts[msg]++
	}
	parts := make([]string, len(distinct))
	for i, msg := range distinct {
		parts[i] = fmt.Sprintf("%s (%d of %d events)", msg, counts[msg], len(werrs))
	}
	return strings.Join(parts, "; ")
}
