package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/icmp"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// wait bounds every wait in these tests; nothing should take close to it.
const wait = 15 * time.Second

// running is a command started by start.
type running struct {
	stdout, stderr *mqtttest.Buffer
	cancel         context.CancelFunc
	code           chan int
}

// start runs args in e (its stdout and stderr replaced) until stop or the test's end.
func start(t *testing.T, e env, args ...string) *running {
	t.Helper()
	r := &running{stdout: &mqtttest.Buffer{}, stderr: &mqtttest.Buffer{}, code: make(chan int, 1)}
	e.stdout, e.stderr = r.stdout, r.stderr
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.code <- e.run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(wait):
			t.Errorf("%v did not stop", args)
		}
	})
	return r
}

// exit waits for the command to end by itself and returns its exit code.
func (r *running) exit(t *testing.T) int {
	t.Helper()
	select {
	case c := <-r.code:
		r.code <- c // for the cleanup
		return c
	case <-time.After(wait):
		t.Fatalf("the command did not exit; stderr:\n%s", r.stderr)
		return -1
	}
}

// stop interrupts the command (as SIGINT does) and returns its exit code.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	return r.exit(t)
}

// runCmd runs args to completion and returns the exit code, stdout and stderr.
func runCmd(t *testing.T, e env, args ...string) (int, string, string) {
	t.Helper()
	r := start(t, e, args...)
	code := r.exit(t)
	return code, r.stdout.String(), r.stderr.String()
}

// answering is a fake Pinger: every host answers every request in 0.1 ms with TTL 64.
func answering(_ context.Context, host string, count int, _ time.Duration) (pingmq.Stats, error) {
	st := pingmq.Stats{Addr: host, Sent: count, Recv: count, TTL: 64}
	st.MinRTT, st.AvgRTT, st.MaxRTT = 100*time.Microsecond, 100*time.Microsecond, 100*time.Microsecond
	for i := range count {
		st.Replies = append(st.Replies, pingmq.Reply{Seq: i, Bytes: 16, TTL: 64, RTT: 100 * time.Microsecond})
	}
	return st, nil
}

// needICMP skips the test unless a raw ICMP socket opens (root or CAP_NET_RAW).
func needICMP(t *testing.T) {
	t.Helper()
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		t.Skipf("no raw ICMP socket here (%v): run the tests as root or with CAP_NET_RAW", err)
	}
	require.NoError(t, c.Close())
}

// needNoPingSocket skips the test unless an unprivileged ICMP ping socket fails to open, so
// that -mode unprivileged shows the real "no ICMP" path.
func needNoPingSocket(t *testing.T) {
	t.Helper()
	c, err := icmp.ListenPacket("udp4", "0.0.0.0")
	if err == nil {
		require.NoError(t, c.Close())
		t.Skip("ping sockets are allowed here (net.ipv4.ping_group_range includes our group)")
	}
}

// startBroker serves a broker on 127.0.0.1:0 until the test ends and returns it and its
// address.
func startBroker(t *testing.T) (*broker.Server, string) {
	t.Helper()
	return startBrokerWith(t, broker.Options{})
}

// startBrokerWith is startBroker with options.
func startBrokerWith(t *testing.T, opts broker.Options) (*broker.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return serveOn(t, l, opts), l.Addr().String()
}

// serveOn serves a broker on l until the test ends.
func serveOn(t *testing.T, l net.Listener, opts broker.Options) *broker.Server {
	t.Helper()
	opts.SysInterval, opts.Logger = -1, slog.New(slog.DiscardHandler)
	s, err := broker.New(opts)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, s.Shutdown(context.Background()))
		require.ErrorIs(t, <-served, broker.ErrServerClosed)
	})
	return s
}

// message is what a watcher saw.
type message struct {
	topic, payload string
	retain         bool
}

// watcher records the messages a broker routes to filter, in process.
type watcher struct {
	mu   sync.Mutex
	msgs []message
}

func watch(t *testing.T, s *broker.Server, filter string) *watcher {
	t.Helper()
	w := &watcher{}
	unsub, err := s.Subscribe(filter, packet.QoS1, func(m *broker.Message) {
		w.mu.Lock()
		w.msgs = append(w.msgs, message{m.Topic, string(m.Payload), m.Retain})
		w.mu.Unlock()
	})
	require.NoError(t, err)
	t.Cleanup(unsub)
	return w
}

// payloads returns the payloads seen on topic, in order.
func (w *watcher) payloads(topic string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.msgs {
		if m.topic == topic {
			out = append(out, m.payload)
		}
	}
	return out
}

// waitPayloads waits until the payloads on topic end with want and returns them all.
func (w *watcher) waitPayloads(t *testing.T, topic string, want ...string) []string {
	t.Helper()
	var got []string
	require.Eventually(t, func() bool {
		got = w.payloads(topic)
		if len(got) < len(want) {
			return false
		}
		tail := got[len(got)-len(want):]
		return strings.Join(tail, "\x00") == strings.Join(want, "\x00")
	}, wait, 5*time.Millisecond, "%s: want payloads ending %q, got %q", topic, want, func() []string { return w.payloads(topic) })
	return got
}

// retained returns the retained payload of topic, read by a new subscription; it fails the
// test when there is none.
func retained(t *testing.T, s *broker.Server, topic string) string {
	t.Helper()
	got := make(chan string, 1)
	unsub, err := s.Subscribe(topic, packet.QoS1, func(m *broker.Message) {
		if m.Retain {
			select {
			case got <- string(m.Payload):
			default:
			}
		}
	})
	require.NoError(t, err)
	defer unsub()
	select {
	case p := <-got:
		return p
	case <-time.After(wait):
		t.Fatalf("no retained message on %s", topic)
		return ""
	}
}
