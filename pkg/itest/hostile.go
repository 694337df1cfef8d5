package itest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Attacks for the hostile-client tests: loopback only, every loop bounded
// in count and time.

// AttackerDialer dials from loopback address 127.0.0.(2 + i mod 250), so
// that attackers have other client addresses than the test's legitimate
// client (127.0.0.1).
func AttackerDialer(i int) *net.Dialer {
	return &net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))},
		Timeout:   5 * time.Second,
	}
}

// HeldRequest is one attack request: Head is the request line and headers
// (without the blank line), Body what follows; the last Hold bytes of Body
// are not sent.
type HeldRequest struct {
	Head string
	Body []byte
	Hold int
}

// AttackStats counts what the attack connections saw: requests sent, and
// per request the server's answer (0: it closed the connection without
// one) and the time from sending to that answer or close.
type AttackStats struct {
	Sent atomic.Int64
	Outcomes
}

// Summary is a line for the test log: requests, answers by code and the
// median and longest time the server let a connection be held.
func (s *AttackStats) Summary() string {
	return fmt.Sprintf("%d requests sent, answers by code %v, held median %s, longest %s", s.Sent.Load(), s.Codes(),
		s.Quantile(.5).Round(time.Millisecond), s.Quantile(1).Round(time.Millisecond))
}

// Attack runs conns workers against addr until ctx ends or each sent
// perConn requests: each dials from its own attacker address, sends req
// without its last Hold bytes, then trickles one more body byte every
// trickle (0: none) until the server answers or closes, and reconnects.
func Attack(ctx context.Context, addr string, conns, perConn int, trickle time.Duration, req HeldRequest, stats *AttackStats) {
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			for n := 0; n < perConn && ctx.Err() == nil; n++ {
				attackOnce(ctx, AttackerDialer(i), addr, trickle, req, stats)
			}
		})
	}
	wg.Wait()
}

func attackOnce(ctx context.Context, d *net.Dialer, addr string, trickle time.Duration, req HeldRequest, stats *AttackStats) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		select { // the server refused or ran out of something: back off a little
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	start := time.Now()
	sent := len(req.Body) - req.Hold
	if _, err := c.Write(append([]byte(req.Head+"\r\n\r\n"), req.Body[:sent]...)); err != nil {
		stats.Add(0, time.Since(start))
		return
	}
	stats.Sent.Add(1)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- 0
			return
		}
		_ = resp.Body.Close()
		answered <- resp.StatusCode
	}()
	var tick <-chan time.Time
	if trickle > 0 {
		t := time.NewTicker(trickle)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case code := <-answered:
			if ctx.Err() == nil {
				stats.Add(code, time.Since(start))
			}
			return
		case <-tick:
			if sent < len(req.Body) {
				_, _ = c.Write(req.Body[sent : sent+1])
				sent++
			}
		}
	}
}

// ProcessRSS returns the resident set size of process pid in bytes
// (Linux /proc).
func ProcessRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// Outcomes records requests: status code (0: transport error or no
// answer) and duration.
type Outcomes struct {
	mu    sync.Mutex
	codes map[int]int
	d     []time.Duration
}

// Add records one request.
func (o *Outcomes) Add(code int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.codes == nil {
		o.codes = map[int]int{}
	}
	o.codes[code]++
	o.d = append(o.d, d)
}

// Codes returns the count of each status code.
func (o *Outcomes) Codes() map[int]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[int]int{}
	for k, v := range o.codes {
		out[k] = v
	}
	return out
}

// Quantile returns the q-quantile of the durations (0: the shortest, 1:
// the longest).
func (o *Outcomes) Quantile(q float64) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.d) == 0 {
		return 0
	}
	d := slices.Clone(o.d)
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}
