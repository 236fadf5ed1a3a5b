package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// testTimeout bounds each Run in these tests; none should come close.
const testTimeout = 60 * time.Second

// roomy are broker limits under which nothing may be lost at QoS 1: the default queue of
// 1000 messages per session overflows (and drops acknowledged messages, as Mosquitto's
// max_queued_messages does) when publishers outrun a subscriber's in-flight window.
func roomy() broker.Options { return broker.Options{MaxQueuedMessages: 100_000} }

// startBroker serves a real broker on a loopback port until the test ends.
func startBroker(t *testing.T, opts broker.Options) string {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.SysInterval = -1
	s, err := broker.New(opts)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx))
		require.ErrorIs(t, <-done, broker.ErrServerClosed)
	})
	return l.Addr().String()
}

func run(t *testing.T, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.False(t, rep.Interrupted)
	require.Empty(t, rep.Errors)
	return rep
}

// requireExact checks a run in which nothing may be lost: every publish acknowledged (QoS
// 1/2) and delivered once to every subscriber due to get it.
func requireExact(t *testing.T, rep *Report, published, fanout int64) {
	t.Helper()
	m := rep.Messages
	require.NotNil(t, m)
	require.Equal(t, published, m.Published)
	require.Equal(t, published*fanout, m.Expected)
	require.Equal(t, m.Expected, m.Delivered)
	require.Zero(t, m.Loss.Total)
	require.Zero(t, m.Duplicates)
	require.Zero(t, m.Foreign)
	require.Zero(t, m.UnexpectedAcks)
	require.Equal(t, uint64(m.Delivered), m.Latency.Count)
	require.Positive(t, m.Latency.Min+m.Latency.Max, "latencies were measured")
	require.LessOrEqual(t, m.Latency.Min, m.Latency.P50)
	require.LessOrEqual(t, m.Latency.P50, m.Latency.P99)
	require.LessOrEqual(t, m.Latency.P99, m.Latency.P999)
	require.LessOrEqual(t, m.Latency.P999, m.Latency.Max)
	require.Positive(t, m.PublishedPerSec)
	require.Positive(t, m.DeliveredPerSec)
	require.GreaterOrEqual(t, m.ElapsedSeconds, 0.0)
	if rep.QoS > 0 {
		require.Equal(t, published, m.Acked)
		require.NotNil(t, m.Verdict)
		require.True(t, m.Verdict.OK)
		require.Zero(t, m.Verdict.AckedMissing)
		require.Len(t, m.Verdict.Subscribers, rep.Subscribers)
		for _, s := range m.Verdict.Subscribers {
			require.Equal(t, published*fanout/int64(rep.Subscribers), s.Acked, s.Client)
			require.Equal(t, s.Acked, s.Delivered, s.Client)
			require.Zero(t, s.Missing+s.Gaps+s.Tail+s.Duplicates, s.Client)
		}
	} else {
		require.Nil(t, m.Verdict)
	}
}

func TestScenariosExactAtQoS1(t *testing.T) {
	addr := startBroker(t, roomy())
	const n, count = 4, 500
	for _, tc := range []struct {
		scenario   Scenario
		pubs, subs int
		fanout     int64 // deliveries per publish
	}{
		{OneToOne, n, n, 1},
		{FanIn, n, 1, 1},
		{FanOut, 1, n, n},
		{Mesh, n, n, n},
	} {
		t.Run(string(tc.scenario), func(t *testing.T) {
			rep := run(t, Config{Addr: addr, Scenario: tc.scenario, Clients: n, QoS: 1, Count: count, PID: os.Getpid()})
			require.Equal(t, tc.pubs, rep.Publishers)
			require.Equal(t, tc.subs, rep.Subscribers)
			require.Equal(t, DefaultInflight, rep.Inflight)
			requireExact(t, rep, int64(tc.pubs*count), tc.fanout)
			require.NotNil(t, rep.Broker, "with a pid the broker's CPU and memory are reported")
			require.Equal(t, os.Getpid(), rep.Broker.PID)
			require.Positive(t, rep.Broker.RSSKB)
			require.GreaterOrEqual(t, rep.Broker.PeakRSSKB, rep.Broker.RSSKB)
			require.Positive(t, rep.CPU.Seconds)
			require.Positive(t, rep.CPU.MicrosPerMessage)
			require.Equal(t, tc.scenario, rep.Scenario)
		})
	}
}

func TestQoS2AndProtocolVersions(t *testing.T) {
	addr := startBroker(t, roomy())
	for _, tc := range []struct {
		qos     packet.QoS
		version packet.Version
	}{
		{packet.QoS2, packet.V311},
		{packet.QoS1, packet.V31},
		{packet.QoS1, packet.V5},
		{packet.QoS2, packet.V5},
	} {
		rep := run(t, Config{Addr: addr, Scenario: FanOut, Clients: 3, QoS: tc.qos, Version: tc.version, Count: 300, Inflight: 10})
		require.Equal(t, int(tc.version), rep.Version)
		require.Equal(t, 10, rep.Inflight)
		requireExact(t, rep, 300, 3)
	}
}

func TestQoS0AtAFixedRate(t *testing.T) {
	addr := startBroker(t, broker.Options{})
	start := time.Now()
	rep := run(t, Config{Addr: addr, Scenario: OneToOne, Clients: 2, Count: 100, Rate: 500})
	// 100 messages at 500/s take 0.2 s: the rate held the publishers back.
	require.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond)
	// The rate is per publisher: 2 × 500/s at most (a loaded machine may make it slower, so
	// there is no lower bound).
	require.Less(t, rep.Messages.PublishedPerSec, 1100.0)
	requireExact(t, rep, 200, 1)
}

func TestDurationBoundsTheRun(t *testing.T) {
	addr := startBroker(t, roomy())
	start := time.Now()
	rep := run(t, Config{Addr: addr, Scenario: OneToOne, Clients: 2, QoS: 1, Duration: 300 * time.Millisecond})
	require.Less(t, time.Since(start), 300*time.Millisecond+DefaultDrain+5*time.Second)
	m := rep.Messages
	require.Positive(t, m.Published)
	require.GreaterOrEqual(t, m.PublishSeconds, 0.29)
	require.Less(t, m.PublishSeconds, 3.0)
	require.True(t, m.Verdict.OK, "no acknowledged message may be lost")
	require.LessOrEqual(t, m.Acked, m.Published)
	require.Equal(t, m.Expected, m.Delivered+m.Loss.Total)
}

func TestVerdictCatchesAckedMessagesTheBrokerDropped(t *testing.T) {
	// A broker with a one-message queue and window drops QoS 1 messages it has acknowledged
	// when many publishers feed one subscriber: the verdict must say so, per subscriber.
	addr := startBroker(t, broker.Options{MaxQueuedMessages: 1, MaxInflight: 1})
	rep := run(t, Config{Addr: addr, Scenario: FanIn, Clients: 8, QoS: 1, Count: 500, Drain: 2 * time.Second})
	m := rep.Messages
	require.Equal(t, int64(4000), m.Published)
	require.Equal(t, int64(4000), m.Acked)
	require.Less(t, m.Delivered, m.Expected)
	require.Equal(t, m.Expected-m.Delivered, m.Loss.Total)
	require.Positive(t, m.Loss.Gaps, "drops in the middle of the stream are gaps")
	v := m.Verdict
	require.False(t, v.OK)
	require.Equal(t, m.Loss.Total, v.AckedMissing)
	require.Len(t, v.Subscribers, 1)
	require.Equal(t, v.AckedMissing, v.Subscribers[0].Missing)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "verdict    FAIL")
	require.Contains(t, text.String(), v.Subscribers[0].Client)
}

func TestIdle(t *testing.T) {
	addr := startBroker(t, broker.Options{})
	for _, sub := range []bool{false, true} {
		rep := run(t, Config{Addr: addr, Scenario: Idle, Clients: 50, Subscribe: sub, QoS: 1,
			Duration: 50 * time.Millisecond, PID: os.Getpid()})
		i := rep.Idle
		require.NotNil(t, i)
		require.Equal(t, 50, i.Connections)
		require.Equal(t, 50, i.Established)
		require.Equal(t, 50, i.Alive)
		require.Equal(t, sub, i.Subscribed)
		require.Positive(t, i.RSSBeforeKB)
		require.Positive(t, i.RSSAfterKB)
		require.InDelta(t, float64(i.RSSAfterKB-i.RSSBeforeKB)/50, i.PerConnectionKB, 1e-9)
		require.GreaterOrEqual(t, i.HoldSeconds, 0.05)
		require.Nil(t, rep.Messages)
	}
}

func TestConnRate(t *testing.T) {
	addr := startBroker(t, broker.Options{})
	rep := run(t, Config{Addr: addr, Scenario: Conn, Clients: 4, Count: 25, PID: os.Getpid()})
	c := rep.Conn
	require.NotNil(t, c)
	require.Equal(t, int64(100), c.Connections)
	require.Zero(t, c.Failed)
	require.Equal(t, uint64(100), c.Latency.Count)
	require.Positive(t, c.PerSec)
	require.Positive(t, rep.Broker.MicrosPerMessage)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "100 connections (0 failed)")
	require.Contains(t, text.String(), "per connection")
}

func TestSelftestEveryScenario(t *testing.T) {
	for _, s := range []Scenario{OneToOne, FanIn, FanOut, Mesh} {
		for _, q := range []packet.QoS{packet.QoS0, packet.QoS1, packet.QoS2} {
			rep := run(t, Config{Scenario: s, Clients: 3, QoS: q, Count: 300, Selftest: true, PID: os.Getpid()})
			require.True(t, rep.Selftest)
			require.Nil(t, rep.Broker, "the forwarder is this process: no separate broker figures")
			fanout := int64(1)
			if s == FanOut || s == Mesh {
				fanout = 3
			}
			requireExact(t, rep, int64(rep.Publishers*300), fanout)
		}
	}
}

func TestReportJSONAndText(t *testing.T) {
	rep := run(t, Config{Scenario: Mesh, Clients: 2, QoS: 1, Count: 50, Selftest: true})
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	msgs := back["messages"].(map[string]any)
	require.Equal(t, 200.0, msgs["delivered"])
	require.Equal(t, true, msgs["verdict"].(map[string]any)["ok"])
	require.Contains(t, msgs["latency"].(map[string]any), "p999_us")

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	for _, want := range []string{"scenario   mesh  qos 1", "delivered  200 of 200", "loss       0 (0 mid-stream gaps, 0 undelivered tail)", "verdict    OK", "generator  CPU"} {
		require.Contains(t, text.String(), want)
	}
}

func TestUnreachableBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = Run(context.Background(), Config{Addr: addr, Clients: 2, Count: 1})
	require.ErrorIs(t, err, ErrConnect)
	_, err = Run(context.Background(), Config{Addr: addr, Scenario: Idle, Clients: 2, Duration: time.Millisecond})
	require.ErrorIs(t, err, ErrConnect)
	_, err = Run(context.Background(), Config{Clients: -1})
	require.ErrorIs(t, err, ErrConfig)
}

func TestCancelStopsTheRun(t *testing.T) {
	addr := startBroker(t, roomy())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	rep, err := Run(ctx, Config{Addr: addr, Scenario: FanOut, Clients: 2, QoS: 1, Duration: time.Minute})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 10*time.Second)
	require.True(t, rep.Interrupted)
	require.Positive(t, rep.Messages.Published)
}
