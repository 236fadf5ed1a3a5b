package pingmq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

const wait = 5 * time.Second

// result is what the scripted pinger returns for one call.
type result struct {
	st  Stats
	err error
}

// scripted is a fake Pinger: each call for a host blocks until the test sends that host's
// next result, so the test decides exactly what every round sees.
type scripted struct {
	mu    sync.Mutex
	ch    map[string]chan result
	calls atomic.Int64 // pinger calls started
}

func newScripted() *scripted { return &scripted{ch: make(map[string]chan result)} }

func (s *scripted) host(h string) chan result {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ch[h]
	if !ok {
		c = make(chan result)
		s.ch[h] = c
	}
	return c
}

func (s *scripted) ping(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
	s.calls.Add(1)
	select {
	case r := <-s.host(host):
		return r.st, r.err
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	}
}

// send hands host its next result, failing the test if no round asks for it in time.
func (s *scripted) send(t *testing.T, host string, r result) {
	t.Helper()
	select {
	case s.host(host) <- r:
	case <-time.After(wait):
		t.Fatalf("no ping of %s within %v", host, wait)
	}
}

// clock is a settable time source for Monitor.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func up(ip string) result {
	return result{st: Stats{
		Addr: ip, Sent: 3, Recv: 3,
		MinRTT: time.Millisecond, AvgRTT: 1500 * time.Microsecond, MaxRTT: 2 * time.Millisecond, TTL: 64,
		Replies: []Reply{{Seq: 0, Bytes: 40, TTL: 64, RTT: time.Millisecond}, {Seq: 1, Bytes: 40, TTL: 64, RTT: 1500 * time.Microsecond}, {Seq: 2, Bytes: 40, TTL: 64, RTT: 2 * time.Millisecond}},
	}}
}

func down(ip string) result { return result{st: Stats{Addr: ip, Sent: 3}} }

func testConfig(targets ...string) Config {
	c := DefaultConfig()
	c.Targets = targets
	c.Interval = adapters.D(time.Millisecond) // rounds are paced by the scripted pinger
	return c
}

// start runs a Monitor with pinger p and returns the fake client; cleanup cancels Run and
// checks it returned nil.
func start(t *testing.T, cfg Config, p Pinger, setup ...func(*Monitor)) (*Monitor, *adapterstest.Client) {
	t.Helper()
	m, err := New(cfg, nil)
	require.NoError(t, err)
	m.Pinger = p
	for _, f := range setup {
		f(m)
	}
	c := adapterstest.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(wait):
			t.Fatal("Run did not return after cancel")
		}
	})
	return m, c
}

func waitCount(t *testing.T, c *adapterstest.Client, topic string, n int) []adapters.Message {
	t.Helper()
	require.True(t, c.Wait(wait, func() bool { return len(c.Topic(topic)) >= n }),
		"want %d publishes on %s, have %d", n, topic, len(c.Topic(topic)))
	return c.Topic(topic)
}

func TestOnlineStateExactJSON(t *testing.T) {
	s := newScripted()
	clk := &clock{t: t0}
	_, c := start(t, testConfig("10.0.0.1"), s.ping, func(m *Monitor) { m.now = clk.now })

	s.send(t, "10.0.0.1", up("10.0.0.1"))
	msgs := waitCount(t, c, "surgemq/ping/10.0.0.1", 1)
	require.JSONEq(t, `{"state":"online","rtt_ms":1.5,"rtt_min_ms":1,"rtt_max_ms":2,"loss_pct":0,
		"sent":3,"recv":3,"ttl":64,"ip":"10.0.0.1",
		"since":"2026-01-02T03:04:05.000Z","ts":"2026-01-02T03:04:05.000Z"}`, string(msgs[0].Payload))
	require.True(t, msgs[0].Retain)
	require.Equal(t, byte(1), msgs[0].QoS)
	state := waitCount(t, c, "surgemq/ping/10.0.0.1/state", 1)
	require.Equal(t, "online", string(state[0].Payload))
	require.True(t, state[0].Retain)

	// Second round one minute later: since stays, ts moves, still no event.
	clk.set(t0.Add(time.Minute))
	s.send(t, "10.0.0.1", up("10.0.0.1"))
	msgs = waitCount(t, c, "surgemq/ping/10.0.0.1", 2)
	var st State
	require.NoError(t, json.Unmarshal(msgs[1].Payload, &st))
	require.Equal(t, "2026-01-02T03:04:05.000Z", st.Since)
	require.Equal(t, "2026-01-02T03:05:05.000Z", st.TS)
	require.Empty(t, c.Topic("surgemq/ping/10.0.0.1/event"))
	// Nothing legacy or Home Assistant unless configured.
	require.Empty(t, c.Matching("/ping/#"))
	require.Empty(t, c.Matching("homeassistant/#"))
}

func TestOfflineStateExactJSON(t *testing.T) {
	s := newScripted()
	clk := &clock{t: t0}
	_, c := start(t, testConfig("10.0.0.9", "nosuch.lan"), s.ping, func(m *Monitor) { m.now = clk.now })

	s.send(t, "10.0.0.9", down("10.0.0.9"))
	msgs := waitCount(t, c, "surgemq/ping/10.0.0.9", 1)
	require.JSONEq(t, `{"state":"offline","rtt_ms":null,"rtt_min_ms":null,"rtt_max_ms":null,"loss_pct":100,
		"sent":3,"recv":0,"ttl":null,"ip":"10.0.0.9",
		"since":"2026-01-02T03:04:05.000Z","ts":"2026-01-02T03:04:05.000Z"}`, string(msgs[0].Payload))
	require.Equal(t, "offline", c.RetainedPayload("surgemq/ping/10.0.0.9/state"))

	s.send(t, "nosuch.lan", result{err: errors.New("resolve nosuch.lan: no such host")})
	msgs = waitCount(t, c, "surgemq/ping/nosuch.lan", 1)
	require.JSONEq(t, `{"state":"offline","rtt_ms":null,"rtt_min_ms":null,"rtt_max_ms":null,"loss_pct":100,
		"sent":0,"recv":0,"ttl":null,"error":"resolve nosuch.lan: no such host",
		"since":"2026-01-02T03:04:05.000Z","ts":"2026-01-02T03:04:05.000Z"}`, string(msgs[0].Payload))
	require.Equal(t, "offline", c.RetainedPayload("surgemq/ping/nosuch.lan/state"))
}

func TestPartialLoss(t *testing.T) {
	s := newScripted()
	_, c := start(t, testConfig("10.0.0.1"), s.ping)
	r := up("10.0.0.1")
	r.st.Recv, r.st.Replies = 2, r.st.Replies[:2]
	s.send(t, "10.0.0.1", r)
	msgs := waitCount(t, c, "surgemq/ping/10.0.0.1", 1)
	var st State
	require.NoError(t, json.Unmarshal(msgs[0].Payload, &st))
	require.Equal(t, "online", st.State)
	require.Equal(t, 33.33, st.LossPct)
}

func TestFlappingOneEventPerChange(t *testing.T) {
	s := newScripted()
	clk := &clock{t: t0}
	_, c := start(t, testConfig("10.0.0.1"), s.ping, func(m *Monitor) { m.now = clk.now })
	const topic = "surgemq/ping/10.0.0.1"

	// online, online, offline, offline, online, offline: 3 changes after the first report.
	script := []bool{true, true, false, false, true, false}
	for i, online := range script {
		clk.set(t0.Add(time.Duration(i) * time.Minute))
		if online {
			s.send(t, "10.0.0.1", up("10.0.0.1"))
		} else {
			s.send(t, "10.0.0.1", down("10.0.0.1"))
		}
		waitCount(t, c, topic+"/state", i+1)
		want := "offline"
		if online {
			want = "online"
		}
		require.Equal(t, want, c.RetainedPayload(topic+"/state"), "round %d", i)
	}
	// The next round's ping has started only after the last round published everything.
	require.Eventually(t, func() bool { return s.calls.Load() == int64(len(script)+1) }, wait, time.Millisecond)
	events := c.Topic(topic + "/event")
	require.Len(t, events, 3)
	var got []Event
	for _, e := range events {
		require.False(t, e.Retain, "events are not retained")
		var ev Event
		require.NoError(t, json.Unmarshal(e.Payload, &ev))
		got = append(got, ev)
	}
	require.Equal(t, []Event{
		{Host: "10.0.0.1", IP: "10.0.0.1", State: "offline", Previous: "online", PreviousSince: "2026-01-02T03:04:05.000Z", DurationS: 120, TS: "2026-01-02T03:06:05.000Z"},
		{Host: "10.0.0.1", IP: "10.0.0.1", State: "online", Previous: "offline", PreviousSince: "2026-01-02T03:06:05.000Z", DurationS: 120, TS: "2026-01-02T03:08:05.000Z"},
		{Host: "10.0.0.1", IP: "10.0.0.1", State: "offline", Previous: "online", PreviousSince: "2026-01-02T03:08:05.000Z", DurationS: 60, TS: "2026-01-02T03:09:05.000Z"},
	}, got)
	// The exact event document.
	require.JSONEq(t, `{"host":"10.0.0.1","ip":"10.0.0.1","state":"offline","previous":"online",
		"previous_since":"2026-01-02T03:04:05.000Z","duration_s":120,"ts":"2026-01-02T03:06:05.000Z"}`, string(events[0].Payload))

	// The JSON state's since follows the changes.
	var st State
	msgs := c.Topic(topic)
	require.NoError(t, json.Unmarshal(msgs[len(script)-1].Payload, &st))
	require.Equal(t, "2026-01-02T03:09:05.000Z", st.Since)
}

func TestLegacyTopics(t *testing.T) {
	s := newScripted()
	cfg := testConfig("10.0.0.1")
	cfg.LegacyTopics = true
	_, c := start(t, cfg, s.ping)
	r := up("10.0.0.1")
	r.st.Recv = 2
	r.st.Replies = []Reply{{Seq: 0, Bytes: 8, TTL: 56, RTT: 21753711 * time.Nanosecond}, {Seq: 2, Bytes: 8, TTL: 56, RTT: 20 * time.Millisecond}}
	s.send(t, "10.0.0.1", r)
	succ := waitCount(t, c, "/ping/success/10.0.0.1", 2)
	require.Equal(t, "8 bytes from 10.0.0.1: seq=1 ttl=56 tos=0 time=21.75ms", string(succ[0].Payload))
	require.Equal(t, "8 bytes from 10.0.0.1: seq=3 ttl=56 tos=0 time=20.00ms", string(succ[1].Payload))
	fail := waitCount(t, c, "/ping/failure/10.0.0.1", 1)
	require.Equal(t, "10.0.0.1: Request timed out for seq 2", string(fail[0].Payload))
	for _, m := range append(succ, fail...) {
		require.False(t, m.Retain)
		require.Equal(t, byte(0), m.QoS)
	}
	// The new topics are published as well.
	waitCount(t, c, "surgemq/ping/10.0.0.1", 1)
}

func TestConcurrencyBound(t *testing.T) {
	cfg := testConfig("10.0.0.0/27") // 30 hosts
	cfg.Groups = []Group{{Targets: []string{"10.0.1.0/28"}}}
	cfg.Concurrency = 4
	var inflight, peak, calls atomic.Int64
	release := make(chan struct{})
	p := func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		calls.Add(1)
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		select {
		case <-release:
			return Stats{Addr: host, Sent: 1}, nil
		case <-ctx.Done():
			return Stats{}, ctx.Err()
		}
	}
	_, c := start(t, cfg, p)
	// Both groups share one bound: 4 calls block, no fifth one starts.
	require.Eventually(t, func() bool { return inflight.Load() == 4 }, wait, time.Millisecond)
	require.Never(t, func() bool { return calls.Load() > 4 }, 100*time.Millisecond, 5*time.Millisecond)
	close(release)
	require.True(t, c.Wait(wait, func() bool { return len(c.Matching("surgemq/ping/+/state")) >= 44 }))
	require.Equal(t, int64(4), peak.Load())
}

func TestRunStopsOnCancel(t *testing.T) {
	cfg := testConfig("10.0.0.0/29")
	cfg.Concurrency = 2
	entered := make(chan struct{}, 16)
	p := func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		entered <- struct{}{}
		<-ctx.Done() // a pinger stuck until shutdown
		return Stats{}, ctx.Err()
	}
	m, err := New(cfg, nil)
	require.NoError(t, err)
	m.Pinger = p
	c := adapterstest.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, c) }()
	<-entered
	<-entered
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
	require.Empty(t, c.Matching("surgemq/#"), "a cancelled round reports nothing")
	// Run can run again after it returned, and not twice at once.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- m.Run(ctx2, c) }()
	<-entered
	require.ErrorIs(t, m.Run(ctx2, c), ErrRunning)
	cancel2()
	require.NoError(t, <-done)
}

// A Pinger that panics (on another goroutine than Run's) ends Run with an error wrapping
// adapters.ErrPanic, for the gateway to restart it, instead of ending the process.
func TestPingerPanicEndsRun(t *testing.T) {
	cfg := testConfig("10.0.0.1", "10.0.0.2")
	m, err := New(cfg, nil)
	require.NoError(t, err)
	m.Pinger = func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		if host == "10.0.0.2" {
			panic("pinger bug")
		}
		<-ctx.Done()
		return Stats{}, ctx.Err()
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), adapterstest.New()) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, adapters.ErrPanic)
		require.ErrorContains(t, err, "pinger bug")
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
}

func TestPublishFailureKeepsRunning(t *testing.T) {
	s := newScripted()
	var logs bytes.Buffer
	cfg := testConfig("10.0.0.1")
	m, err := New(cfg, slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)))
	require.NoError(t, err)
	m.Pinger = s.ping
	c := adapterstest.New()
	c.SetPublishError(errors.New("connection lost"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, c) }()
	s.send(t, "10.0.0.1", up("10.0.0.1"))
	s.send(t, "10.0.0.1", up("10.0.0.1"))
	c.SetPublishError(nil)
	s.send(t, "10.0.0.1", down("10.0.0.1"))
	waitCount(t, c, "surgemq/ping/10.0.0.1", 1)
	require.True(t, c.Wait(wait, func() bool { return len(c.Topic("surgemq/ping/10.0.0.1/event")) == 1 }),
		"the state seen while publishing failed still counts: online -> offline is an event")
	cancel()
	require.NoError(t, <-done)
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "publish failed"), out)
	require.Contains(t, out, "publishing again")
}

// syncWriter serialises writes of concurrent log calls for the race detector.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Each group pings with its own count and timeout, on its own interval.
func TestGroupsPingWithTheirOwnSettings(t *testing.T) {
	cfg := testConfig("10.0.0.1") // every 1 ms, count 3, timeout 3 s
	cfg.Groups = []Group{{Name: "slow", Targets: []string{"10.0.0.2"}, Interval: adapters.D(time.Hour),
		Count: 5, Timeout: adapters.D(4 * time.Second)}}
	type call struct {
		host    string
		count   int
		timeout time.Duration
	}
	calls := make(chan call, 64)
	p := func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		select {
		case calls <- call{host, count, timeout}:
		case <-ctx.Done():
		}
		return Stats{Addr: host, Sent: count, Recv: count}, nil
	}
	start(t, cfg, p)
	var fast, slow []call
	for len(fast) < 5 || len(slow) == 0 {
		select {
		case c := <-calls:
			if c.host == "10.0.0.1" {
				fast = append(fast, c)
			} else {
				slow = append(slow, c)
			}
		case <-time.After(wait):
			t.Fatalf("pinged %v and %v", fast, slow)
		}
	}
	for _, c := range fast {
		require.Equal(t, call{"10.0.0.1", 3, 3 * time.Second}, c)
	}
	require.Equal(t, []call{{"10.0.0.2", 5, 4 * time.Second}}, slow,
		"the hourly group pinged once while the other went round five times")
}
