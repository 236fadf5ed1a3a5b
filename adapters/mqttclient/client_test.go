package mqttclient_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/mqttclient"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func TestPublishQoSAndRetain(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	a := mqttclient.New(dial(t, url, mqtt.Options{}))
	ctx := t.Context()

	got := make(chan *broker.Message, 10)
	unsub, err := s.Subscribe("t/#", packet.QoS2, func(m *broker.Message) { got <- m })
	require.NoError(t, err)
	defer unsub()
	next := func() *broker.Message {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-time.After(wait):
			t.Fatal("the broker got nothing")
			return nil
		}
	}

	for qos := range byte(3) {
		buf := []byte("payload " + strconv.Itoa(int(qos)))
		require.NoError(t, a.Publish(ctx, "t/"+strconv.Itoa(int(qos)), buf, qos, false))
		copy(buf, "XXXXXXX") // Publish keeps no reference
		m := next()
		require.Equal(t, "t/"+strconv.Itoa(int(qos)), m.Topic)
		require.Equal(t, "payload "+strconv.Itoa(int(qos)), string(m.Payload))
		require.Equal(t, packet.QoS(qos), m.QoS)
	}

	// Retained: a later subscriber gets it flagged retained.
	require.NoError(t, a.Publish(ctx, "r/state", []byte("online"), 1, true))
	rgot := make(chan *broker.Message, 1)
	runsub, err := s.Subscribe("r/#", packet.QoS1, func(m *broker.Message) { rgot <- m })
	require.NoError(t, err)
	defer runsub()
	select {
	case m := <-rgot:
		require.Equal(t, "online", string(m.Payload))
		require.True(t, m.Retain)
	case <-time.After(wait):
		t.Fatal("no retained message")
	}
	require.Equal(t, 1, s.Stats().Retained)

	// Bad input is an error, not a panic.
	require.ErrorIs(t, a.Publish(ctx, "t", nil, 3, false), mqttclient.ErrBadQoS)
	require.ErrorIs(t, a.Publish(ctx, "t/+", nil, 0, false), mqtt.ErrBadTopic)
}

func TestSubscribeRetainedFirstThenInOrder(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	require.NoError(t, pub.Publish(t.Context(), "dev/a/state", []byte("online"), mqtt.QoS1, mqtt.Retain))

	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "sub"}))
	r := newRecorder()
	unsub, err := a.Subscribe(t.Context(), "dev/#", 1, r.handle)
	require.NoError(t, err)
	defer unsub()
	require.Equal(t, adapters.Message{Topic: "dev/a/state", Payload: []byte("online"), QoS: 1, Retain: true}, r.waitN(t, 1)[0])
	require.Equal(t, 1, s.Stats().Subscriptions)

	// MQTT orders one publisher's messages per QoS level, so the order check uses one level.
	const n = 300 // well past the mqtt client's inbound queue (64)
	for i := range n {
		require.NoError(t, pub.Publish(t.Context(), "dev/a/seq", []byte(strconv.Itoa(i)), mqtt.QoS1))
	}
	msgs := r.waitN(t, 1+n)[1:]
	require.Len(t, msgs, n)
	for i, m := range msgs {
		require.Equal(t, "dev/a/seq", m.Topic)
		require.Equal(t, strconv.Itoa(i), string(m.Payload), "message %d out of order", i)
		require.Equal(t, byte(1), m.QoS)
		require.False(t, m.Retain)
	}

	// Delivered at min(published, granted).
	for q := range byte(3) {
		require.NoError(t, pub.Publish(t.Context(), "dev/q", []byte{'0' + q}, mqtt.QoS(q)))
	}
	// All three arrive (nothing is lost on an idle loopback connection); a barrier on another
	// subscription would not do, as each subscription's handler runs on its own goroutine.
	got := map[string]byte{}
	for _, m := range r.waitN(t, 1+n+3)[1+n:] {
		if m.Topic == "dev/q" {
			got[string(m.Payload)] = m.QoS
		}
	}
	require.Equal(t, map[string]byte{"0": 0, "1": 1, "2": 1}, got)
}

func TestUnsubscribeAndContextEnd(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "sub"}))

	r := newRecorder()
	unsub, err := a.Subscribe(t.Context(), "t", 0, r.handle)
	require.NoError(t, err)
	require.NoError(t, pub.Publish(t.Context(), "t", []byte("1"), mqtt.QoS1))
	r.waitN(t, 1)
	unsub()
	unsub() // twice is fine
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 0 }, wait, time.Millisecond,
		"no UNSUBSCRIBE reached the broker")
	require.NoError(t, pub.Publish(t.Context(), "t", []byte("2"), mqtt.QoS1))
	barrier(t, pub, a)
	require.Len(t, r.messages(), 1)

	ctx, cancel := context.WithCancel(t.Context())
	r2 := newRecorder()
	unsub2, err := a.Subscribe(ctx, "u", 1, r2.handle)
	require.NoError(t, err)
	defer unsub2()
	require.NoError(t, pub.Publish(t.Context(), "u", []byte("1"), mqtt.QoS1))
	r2.waitN(t, 1)
	cancel()
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 0 }, wait, time.Millisecond,
		"ctx end sent no UNSUBSCRIBE")
	require.NoError(t, pub.Publish(t.Context(), "u", []byte("2"), mqtt.QoS1))
	barrier(t, pub, a)
	require.Len(t, r2.messages(), 1)

	// The filter can be subscribed again, and the new subscription gets messages.
	r3 := newRecorder()
	unsub3, err := a.Subscribe(t.Context(), "u", 1, r3.handle)
	require.NoError(t, err)
	defer unsub3()
	require.NoError(t, pub.Publish(t.Context(), "u", []byte("3"), mqtt.QoS1))
	require.Equal(t, "3", string(r3.waitN(t, 1)[0].Payload))
}

func TestSameFilterTwice(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "sub"}))

	r1, r2 := newRecorder(), newRecorder()
	unsub1, err := a.Subscribe(t.Context(), "x/+", 1, r1.handle)
	require.NoError(t, err)
	defer unsub1()
	unsub2, err := a.Subscribe(t.Context(), "x/+", 1, r2.handle)
	require.NoError(t, err)
	defer unsub2()
	require.Equal(t, 1, s.Stats().Subscriptions, "one network subscription per filter")

	require.NoError(t, pub.Publish(t.Context(), "x/1", []byte("a"), mqtt.QoS1))
	require.Equal(t, "a", string(r1.waitN(t, 1)[0].Payload))
	require.Equal(t, "a", string(r2.waitN(t, 1)[0].Payload))

	// Ending one leaves the other subscribed.
	unsub1()
	require.NoError(t, pub.Publish(t.Context(), "x/2", []byte("b"), mqtt.QoS1))
	require.Equal(t, "b", string(r2.waitN(t, 2)[1].Payload))
	barrier(t, pub, a)
	require.Len(t, r1.messages(), 1)
	// The barrier's own UNSUBSCRIBE is sent in the background.
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 1 }, wait, time.Millisecond)

	unsub2()
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 0 }, wait, time.Millisecond)
}

// A handler may wait for the broker (QoS 1 publish) for every message, far past the mqtt
// client's inbound queue: it runs on its own goroutine, not the client's dispatcher.
func TestHandlerMayPublishQoS1(t *testing.T) {
	_, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "echo", InboundQueue: 4}))

	echoes := newRecorder()
	unsubE, err := a.Subscribe(t.Context(), "echo/#", 1, echoes.handle)
	require.NoError(t, err)
	defer unsubE()
	var failed atomic.Int64
	unsub, err := a.Subscribe(t.Context(), "in/#", 1, func(m adapters.Message) {
		if err := a.Publish(t.Context(), "echo/"+m.Topic, m.Payload, 1, false); err != nil {
			failed.Add(1)
		}
	})
	require.NoError(t, err)
	defer unsub()

	const n = 200
	for i := range n {
		require.NoError(t, pub.Publish(t.Context(), "in/x", []byte(strconv.Itoa(i)), mqtt.QoS1))
	}
	msgs := echoes.waitN(t, n)
	require.Zero(t, failed.Load())
	for i, m := range msgs {
		require.Equal(t, "echo/in/x", m.Topic)
		require.Equal(t, strconv.Itoa(i), string(m.Payload))
	}
}

// A handler that stops keeps at most 1024 waiting messages; the rest is dropped without
// holding up other subscriptions of the same connection.
func TestSlowHandlerDropsExcess(t *testing.T) {
	_, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "sub"}))

	entered := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var got []string
	var first sync.Once
	unsub, err := a.Subscribe(t.Context(), "slow", 0, func(m adapters.Message) {
		mu.Lock()
		got = append(got, string(m.Payload))
		mu.Unlock()
		first.Do(func() {
			close(entered)
			<-release
		})
	})
	require.NoError(t, err)
	defer unsub()

	require.NoError(t, pub.Publish(t.Context(), "slow", []byte("0"), mqtt.QoS1))
	select {
	case <-entered:
	case <-time.After(wait):
		t.Fatal("handler not called")
	}
	const more = 1100
	for i := 1; i <= more; i++ {
		require.NoError(t, pub.Publish(t.Context(), "slow", []byte(strconv.Itoa(i)), mqtt.QoS1))
	}
	barrier(t, pub, a) // every message above has been queued or dropped
	close(release)

	want := 1 + 1024
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= want
	}, wait, time.Millisecond)
	// Nothing beyond the bound arrives later either.
	barrier(t, pub, a)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, want)
	for i, p := range got {
		require.Equal(t, strconv.Itoa(i), p, "the first messages are kept, in order")
	}
}

func TestSubscriptionSurvivesReconnect(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	d := &mqtttest.Dialer{}
	connects := make(chan struct{}, 10)
	c := dial(t, url, mqtt.Options{
		ClientID: "sub",
		Dialer:   d,
		Backoff:  func(int) time.Duration { return 10 * time.Millisecond },
		OnStateChange: func(sc mqtt.StateChange) {
			if sc.State == mqtt.StateConnected {
				connects <- struct{}{}
			}
		},
	})
	<-connects // Dial's connection
	a := mqttclient.New(c)
	r := newRecorder()
	unsub, err := a.Subscribe(t.Context(), "t", 1, r.handle)
	require.NoError(t, err)
	defer unsub()

	d.Cut()
	select {
	case <-connects:
	case <-time.After(wait):
		t.Fatal("no reconnect")
	}
	// The clean session lost the subscription; the client subscribes again by itself.
	require.Eventually(t, func() bool { return s.Stats().Subscriptions == 1 }, wait, time.Millisecond)
	require.NoError(t, pub.Publish(t.Context(), "t", []byte("after"), mqtt.QoS1))
	require.Equal(t, "after", string(r.waitN(t, 1)[0].Payload))
	require.NoError(t, a.Publish(t.Context(), "t", []byte("own"), 1, false))
	require.Equal(t, "own", string(r.waitN(t, 2)[1].Payload))
}

// denyFilter refuses subscriptions to one filter.
type denyFilter string

func (d denyFilter) CanSubscribe(_ broker.ClientInfo, f string) bool { return f != string(d) }
func (denyFilter) CanPublish(broker.ClientInfo, string) bool         { return true }

func TestSubscribeErrors(t *testing.T) {
	s, url := startBroker(t, broker.Options{Authorizer: denyFilter("secret/#")})
	pub := dial(t, url, mqtt.Options{ClientID: "pub"})
	a := mqttclient.New(dial(t, url, mqtt.Options{ClientID: "sub"}))
	ctx := t.Context()
	nop := func(adapters.Message) {}

	_, err := a.Subscribe(ctx, "a", 0, nil)
	require.ErrorIs(t, err, mqttclient.ErrNilHandler)
	_, err = a.Subscribe(ctx, "a", 3, nop)
	require.ErrorIs(t, err, mqttclient.ErrBadQoS)
	_, err = a.Subscribe(ctx, "a/#/b", 0, nop)
	require.ErrorIs(t, err, mqtt.ErrBadTopic)
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = a.Subscribe(done, "a", 0, nop)
	require.ErrorIs(t, err, context.Canceled)

	_, err = a.Subscribe(ctx, "secret/#", 1, nop)
	require.ErrorIs(t, err, mqtt.ErrSubscribeRefused)
	// The refusal left nothing behind: the next subscription works, and only it is on the
	// broker.
	r := newRecorder()
	unsub, err := a.Subscribe(ctx, "open/#", 1, r.handle)
	require.NoError(t, err)
	defer unsub()
	require.NoError(t, pub.Publish(ctx, "open/1", []byte("ok"), mqtt.QoS1))
	require.Equal(t, "ok", string(r.waitN(t, 1)[0].Payload))
	require.Equal(t, 1, s.Stats().Subscriptions)
}

// Subscribe waits for a connection while the client is down; its ctx bounds the wait, also
// for a second Subscribe queued behind the first.
func TestSubscribeWaitsBoundedByContext(t *testing.T) {
	s, url := startBroker(t, broker.Options{})
	c := dial(t, url, mqtt.Options{ClientID: "sub", Backoff: func(int) time.Duration { return time.Hour }})
	a := mqttclient.New(c)
	require.NoError(t, s.Shutdown(context.Background())) // the client loses its broker for good
	require.Eventually(t, func() bool { return !c.IsConnected() }, wait, time.Millisecond)

	ctx1, cancel1 := context.WithCancel(t.Context())
	errs := make(chan error, 2)
	go func() {
		_, err := a.Subscribe(ctx1, "a", 0, func(adapters.Message) {})
		errs <- err
	}()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel2()
	_, err := a.Subscribe(ctx2, "b", 0, func(adapters.Message) {})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	cancel1()
	select {
	case err := <-errs:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(wait):
		t.Fatal("Subscribe did not return after ctx ended")
	}
}
