package mqttclient_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt"
)

// wait bounds every wait in these tests; nothing should take close to it.
const wait = 10 * time.Second

// startBroker serves a broker on 127.0.0.1:0 until the test ends and returns it and its URL.
func startBroker(t testing.TB, opts broker.Options) (*broker.Server, string) {
	t.Helper()
	opts.SysInterval = -1
	opts.Logger = slog.New(slog.DiscardHandler)
	s, err := broker.New(opts)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, s.Shutdown(context.Background()))
		require.ErrorIs(t, <-served, broker.ErrServerClosed)
	})
	return s, "mqtt://" + l.Addr().String()
}

// dial connects an mqtt client to url and disconnects it when the test ends.
func dial(t testing.TB, url string, opts mqtt.Options) *mqtt.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := mqtt.Dial(ctx, url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// recorder is a Handler that records the messages it gets.
type recorder struct {
	mu   sync.Mutex
	msgs []adapters.Message
	got  chan struct{} // one slot: something arrived
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1)} }

func (r *recorder) handle(m adapters.Message) {
	r.mu.Lock()
	m.Payload = append([]byte(nil), m.Payload...)
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func (r *recorder) messages() []adapters.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]adapters.Message(nil), r.msgs...)
}

// waitN waits until r holds at least n messages and returns them.
func (r *recorder) waitN(t *testing.T, n int) []adapters.Message {
	t.Helper()
	deadline := time.After(wait)
	for {
		if m := r.messages(); len(m) >= n {
			return m
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("got %d messages, want %d: %v", len(r.messages()), n, payloads(r.messages()))
		}
	}
}

func payloads(ms []adapters.Message) string {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(m.Payload)
	}
	return b.String()
}

// barrier publishes a marker on its own filter through pub and waits until sub's client
// received it: the mqtt client dispatches in arrival order and the broker forwards one
// publisher's messages in order, so everything pub published before has been routed: queued
// for its subscription's handler, which runs on its own goroutine and may not have run yet.
func barrier(t *testing.T, pub *mqtt.Client, sub adapters.Client) {
	t.Helper()
	got := make(chan struct{}, 1)
	unsub, err := sub.Subscribe(t.Context(), "barrier", 1, func(adapters.Message) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	require.NoError(t, err)
	defer unsub()
	require.NoError(t, pub.Publish(t.Context(), "barrier", []byte("x"), mqtt.QoS1))
	select {
	case <-got:
	case <-time.After(wait):
		t.Fatal("barrier message not delivered")
	}
}
