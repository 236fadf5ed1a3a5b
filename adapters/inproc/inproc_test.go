package inproc_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/inproc"
	"github.com/lonelyleaf/surgemq/broker"
)

const wait = 5 * time.Second

// newBroker starts an in-process broker (no listener needed) shut down by the test's cleanup.
func newBroker(t *testing.T) *broker.Server {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s, err := broker.New(broker.Options{SysInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	return s
}

// recorder is a Handler that records messages and signals each one.
type recorder struct {
	mu   sync.Mutex
	msgs []adapters.Message
	got  chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 100)} }

func (r *recorder) handle(m adapters.Message) {
	r.mu.Lock()
	m.Payload = append([]byte(nil), m.Payload...)
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) next(t *testing.T) adapters.Message {
	t.Helper()
	select {
	case <-r.got:
	case <-time.After(wait):
		t.Fatal("no message")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgs[len(r.msgs)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func TestInProcessPublishSubscribe(t *testing.T) {
	s := newBroker(t)
	c := inproc.New(s)
	ctx := t.Context()

	// A retained message published before the subscription arrives first, flagged retained.
	require.NoError(t, c.Publish(ctx, "dev/a/state", []byte("online"), 1, true))
	r := newRecorder()
	unsub, err := c.Subscribe(ctx, "dev/+/state", 1, r.handle)
	require.NoError(t, err)
	defer unsub()
	require.Equal(t, adapters.Message{Topic: "dev/a/state", Payload: []byte("online"), QoS: 1, Retain: true}, r.next(t))

	// Publish copies the payload: the caller may reuse its buffer at once.
	buf := []byte("offline")
	require.NoError(t, c.Publish(ctx, "dev/b/state", buf, 2, false))
	copy(buf, "XXXXXXX")
	// Delivered at min(published, granted) QoS.
	require.Equal(t, adapters.Message{Topic: "dev/b/state", Payload: []byte("offline"), QoS: 1}, r.next(t))

	// A broker-side subscriber sees the adapter's publish too.
	got := make(chan *broker.Message, 1)
	bunsub, err := s.Subscribe("x/#", 0, func(m *broker.Message) { got <- m })
	require.NoError(t, err)
	defer bunsub()
	require.NoError(t, c.Publish(ctx, "x/y", []byte("z"), 0, false))
	select {
	case m := <-got:
		require.Equal(t, "x/y", m.Topic)
		require.Equal(t, "z", string(m.Payload))
	case <-time.After(wait):
		t.Fatal("broker subscriber got nothing")
	}
}

func TestInProcessUnsubscribe(t *testing.T) {
	s := newBroker(t)
	c := inproc.New(s)
	r := newRecorder()
	unsub, err := c.Subscribe(t.Context(), "t", 0, r.handle)
	require.NoError(t, err)
	require.NoError(t, c.Publish(t.Context(), "t", []byte("1"), 0, false))
	require.Equal(t, "1", string(r.next(t).Payload))

	unsub()
	unsub() // twice is fine
	require.NoError(t, c.Publish(t.Context(), "t", []byte("2"), 0, false))
	assertNoMore(t, s, r, 1)
}

func TestInProcessContextEndsSubscription(t *testing.T) {
	s := newBroker(t)
	c := inproc.New(s)
	r := newRecorder()
	ctx, cancel := context.WithCancel(t.Context())
	unsub, err := c.Subscribe(ctx, "t", 0, r.handle)
	require.NoError(t, err)
	defer unsub()
	require.NoError(t, c.Publish(t.Context(), "t", []byte("1"), 0, false))
	r.next(t)
	require.Equal(t, 1, s.Stats().Subscriptions)

	cancel()
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 0 }, wait, time.Millisecond,
		"the broker still has the subscription after ctx ended")
	require.NoError(t, c.Publish(t.Context(), "t", []byte("2"), 0, false))
	assertNoMore(t, s, r, 1)
}

// assertNoMore publishes a marker to a fresh subscription and, once that arrived (so every
// earlier publish was routed), checks r still has n messages.
func assertNoMore(t *testing.T, s *broker.Server, r *recorder, n int) {
	t.Helper()
	marker := make(chan struct{}, 1)
	munsub, err := s.Subscribe("marker", 0, func(*broker.Message) { marker <- struct{}{} })
	require.NoError(t, err)
	defer munsub()
	require.NoError(t, s.Publish("marker", nil, 0, false))
	select {
	case <-marker:
	case <-time.After(wait):
		t.Fatal("marker not delivered")
	}
	require.Equal(t, n, r.count())
}

func TestInProcessErrors(t *testing.T) {
	s := newBroker(t)
	c := inproc.New(s)
	ctx := t.Context()
	nop := func(adapters.Message) {}

	require.ErrorIs(t, c.Publish(ctx, "a/+", nil, 0, false), broker.ErrInvalidTopic)
	require.ErrorContains(t, c.Publish(ctx, "a", nil, 3, false), "qos 3")
	_, err := c.Subscribe(ctx, "a/#/b", 0, nop)
	require.ErrorIs(t, err, broker.ErrInvalidTopic)
	_, err = c.Subscribe(ctx, "a", 3, nop)
	require.ErrorContains(t, err, "qos 3")

	done, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, c.Publish(done, "a", nil, 0, false), context.Canceled)
	_, err = c.Subscribe(done, "a", 0, nop)
	require.ErrorIs(t, err, context.Canceled)

	require.NoError(t, s.Shutdown(ctx))
	require.ErrorIs(t, c.Publish(ctx, "a", nil, 0, false), broker.ErrServerClosed)
	_, err = c.Subscribe(ctx, "a", 0, nop)
	require.ErrorIs(t, err, broker.ErrServerClosed)
}
