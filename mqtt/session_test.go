package mqtt

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
)

// TestSlowHandlerKeepAlive blocks the only handler for three keepalive intervals while
// messages keep arriving and the inbound queue is full. PINGREQs must still go out (or the
// broker would drop the client after 1.5 intervals) and the client must not declare the
// silent-because-stalled connection dead.
func TestSlowHandlerKeepAlive(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		ctx := testCtx(t)
		st := newStates()
		release := make(chan struct{})
		var got atomic.Int32
		h := func(m *Message) {
			if got.Add(1) == 1 {
				<-release
			}
		}
		sub := dialTest(t, mqttURL(b), Options{ClientID: clientID("slow"), KeepAlive: time.Second,
			PingTimeout: 500 * time.Millisecond, InboundQueue: 1, OnStateChange: st.record})
		_, err := sub.Subscribe(ctx, h, Subscription{Filter: "slow/#", QoS: QoS1})
		require.NoError(t, err)
		pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("pub")})
		const n = 50
		for i := range n {
			require.NoError(t, pub.Publish(ctx, "slow/x", []byte(strconv.Itoa(i)), QoS1))
		}
		// The scenario needs wall-clock time to pass: three keepalive intervals with the
		// handler blocked.
		<-time.After(3 * time.Second)
		close(release)
		require.Eventually(t, func() bool { return got.Load() == n }, waitTimeout, 10*time.Millisecond)
		require.Zero(t, st.count(StateDisconnected), "the connection survived the stall")
		require.True(t, sub.IsConnected())
	})
}

// TestPersistentSession checks that QoS 1 messages published while a KeepSession client was
// away are delivered when it comes back, to DefaultHandler until it subscribes again.
func TestPersistentSession(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				id := clientID("persist")
				sub, err := Dial(ctx, mqttURL(b), Options{ClientID: id, Version: v, KeepSession: true})
				require.NoError(t, err)
				_, err = sub.Subscribe(ctx, nil, Subscription{Filter: "persist/#", QoS: QoS2})
				require.NoError(t, err)
				require.NoError(t, sub.Disconnect(ctx))

				pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("pub"), Version: v})
				for i := range 5 {
					require.NoError(t, pub.Publish(ctx, "persist/x", []byte(strconv.Itoa(i)), QoS(1+i%2)))
				}
				s := newSink()
				st := newStates()
				dialTest(t, mqttURL(b), Options{ClientID: id, Version: v, KeepSession: true,
					DefaultHandler: s.handle, OnStateChange: st.record})
				require.True(t, st.waitFor(t, StateConnected).SessionPresent)
				for i := range 5 {
					m := s.next(t)
					require.Equal(t, strconv.Itoa(i), string(m.Payload))
					require.Equal(t, QoS(1+i%2), m.QoS)
				}
			})
		}
	})
}

// TestBrokerRestart publishes a numbered sequence while the broker (with persistence) is
// stopped and restarted. Every message must reach the persistent subscriber; at QoS 2 none
// twice.
func TestBrokerRestart(t *testing.T) {
	for _, q := range []QoS{QoS1, QoS2} {
		t.Run(q.String(), func(t *testing.T) {
			forEachBroker(t, brokerConfig{Persistence: true}, func(t *testing.T, b testBroker) {
				for _, v := range []Version{V311, V5} {
					t.Run("v"+v.String(), func(t *testing.T) { testBrokerRestart(t, b, q, v) })
				}
			})
		})
	}
}

func testBrokerRestart(t *testing.T, b testBroker, q QoS, v Version) {
	const n = 1000
	ctx := testCtx(t)
	var mu sync.Mutex
	seen := make(map[int]int)
	progress := make(chan int, n*2)
	h := func(m *Message) {
		i, err := strconv.Atoi(string(m.Payload))
		if err != nil {
			t.Errorf("payload %q", m.Payload)
			return
		}
		mu.Lock()
		seen[i]++
		k := len(seen)
		mu.Unlock()
		progress <- k
	}
	subID, pubID := clientID("rsub"), clientID("rpub")
	subStates, pubStates := newStates(), newStates()
	sub := dialTest(t, mqttURL(b), Options{ClientID: subID, Version: v, KeepSession: true,
		DefaultHandler: h, OnStateChange: subStates.record})
	_, err := sub.Subscribe(ctx, h, Subscription{Filter: "restart/#", QoS: q})
	require.NoError(t, err)
	pub := dialTest(t, mqttURL(b), Options{ClientID: pubID, Version: v, KeepSession: true,
		OnStateChange: pubStates.record})

	pubErr := make(chan error, 1)
	var published atomic.Int32
	// The publisher stays at most ahead messages ahead of what the subscriber has seen, so it
	// is mid-stream when the restart comes however the machine schedules the two.
	const ahead = 100
	go func() {
		for i := range n {
			for {
				mu.Lock()
				k := len(seen)
				mu.Unlock()
				if i-k < ahead {
					break
				}
				select {
				case <-ctx.Done():
					pubErr <- ctx.Err()
					return
				case <-time.After(time.Millisecond):
				}
			}
			if err := pub.Publish(ctx, "restart/seq", []byte(strconv.Itoa(i)), q); err != nil {
				pubErr <- fmt.Errorf("publish %d: %w", i, err)
				return
			}
			published.Add(1)
		}
		pubErr <- nil
	}()
	// Restart once a third of the sequence has arrived: the publisher is mid-stream.
	for k := 0; k < n/3; {
		select {
		case k = <-progress:
		case <-time.After(waitTimeout):
			t.Fatal("no progress before the restart")
		}
	}
	b.Restart(t)
	require.Less(t, int(published.Load()), n, "the publisher was mid-stream during the restart")
	require.NoError(t, <-pubErr)
	deadline := time.After(30 * time.Second)
	for done := false; !done; {
		mu.Lock()
		done = len(seen) == n
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-progress:
		case <-deadline:
			mu.Lock()
			missing := []int{}
			for i := range n {
				if seen[i] == 0 {
					missing = append(missing, i)
				}
			}
			mu.Unlock()
			t.Fatalf("%d messages missing, e.g. %v", len(missing), missing[:min(10, len(missing))])
		}
	}
	require.GreaterOrEqual(t, subStates.count(StateDisconnected), 1, "the subscriber saw the restart")
	require.GreaterOrEqual(t, pubStates.count(StateDisconnected), 1, "the publisher saw the restart")
	if q == QoS2 {
		// Give duplicates that are on their way a chance to show, via an ordered marker.
		require.NoError(t, pub.Publish(ctx, "restart/seq", []byte("-1"), QoS2))
		for {
			mu.Lock()
			end := seen[-1] > 0
			mu.Unlock()
			if end {
				break
			}
			select {
			case <-progress:
			case <-time.After(waitTimeout):
				t.Fatal("marker did not arrive")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			require.Equal(t, 1, seen[i], "message %d delivered %d times at QoS 2", i, seen[i])
		}
	}
}

// TestReconnect cuts a clean-session client's connection: it must reconnect through Backoff,
// notice that the server has no session, subscribe again by itself and receive again.
func TestReconnect(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				var attempts []int
				var mu sync.Mutex
				backoff := func(attempt int) time.Duration {
					mu.Lock()
					attempts = append(attempts, attempt)
					mu.Unlock()
					return 10 * time.Millisecond
				}
				kd := &mqtttest.Dialer{}
				st := newStates()
				s := newSink()
				c := dialTest(t, mqttURL(b), Options{ClientID: clientID("re"), Version: v, Dialer: kd,
					Backoff: backoff, OnStateChange: st.record})
				_, err := c.Subscribe(ctx, s.handle, Subscription{Filter: "re/#", QoS: QoS1})
				require.NoError(t, err)
				st.waitFor(t, StateConnected) // The first connection, made by Dial.

				kd.Block(true) // The first reconnect attempts fail...
				kd.Cut()
				require.ErrorIs(t, st.waitFor(t, StateDisconnected).Err, ErrConnectionLost)
				e := st.waitFor(t, StateDisconnected)
				require.Equal(t, 1, e.Attempt)
				kd.Block(false) // ...then the server is reachable again.
				e = st.waitFor(t, StateConnected)
				require.False(t, e.SessionPresent)
				mu.Lock()
				require.GreaterOrEqual(t, len(attempts), 2)
				require.Equal(t, []int{0, 1}, attempts[:2], "backoff is asked with the attempt number")
				mu.Unlock()

				// Published on the same connection, so the server reads it after the
				// resubscription the client queued when it connected.
				require.NoError(t, c.Publish(ctx, "re/x", []byte("after"), QoS1))
				require.Equal(t, "after", string(s.next(t).Payload), "resubscribed")
			})
		}
	})
}

// TestOfflineQueue checks the bounded outgoing queue: while disconnected, publishes are
// queued up to QueueSize and sent in order on reconnect; over the bound, FailFast returns
// ErrQueueFull and otherwise Publish waits (here until its context ends).
func TestOfflineQueue(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, failFast := range []bool{true, false} {
			t.Run(fmt.Sprintf("failfast=%v", failFast), func(t *testing.T) {
				ctx := testCtx(t)
				s := newSink()
				sub := dialTest(t, mqttURL(b), Options{ClientID: clientID("qsub")})
				_, err := sub.Subscribe(ctx, s.handle, Subscription{Filter: "q/#", QoS: QoS1})
				require.NoError(t, err)

				kd := &mqtttest.Dialer{}
				st := newStates()
				pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("qpub"), Dialer: kd, QueueSize: 3,
					FailFast: failFast, OnStateChange: st.record})
				kd.Block(true)
				kd.Cut()
				st.waitFor(t, StateDisconnected)
				require.False(t, pub.IsConnected())

				require.NoError(t, pub.Publish(ctx, "q/a", []byte("0")))
				require.NoError(t, pub.Publish(ctx, "q/a", []byte("1")))
				// A QoS 1 message waits in the queue; Publish returns when it is acknowledged.
				qos1 := make(chan error, 1)
				go func() { qos1 <- pub.Publish(ctx, "q/a", []byte("2"), QoS1) }()
				require.Eventually(t, func() bool {
					pub.mu.Lock()
					defer pub.mu.Unlock()
					return len(pub.queue) == 3
				}, waitTimeout, time.Millisecond)
				if failFast {
					require.ErrorIs(t, pub.Publish(ctx, "q/a", []byte("x")), ErrQueueFull)
					require.ErrorIs(t, pub.Publish(ctx, "q/a", []byte("x"), QoS1), ErrQueueFull)
				} else {
					short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
					require.ErrorIs(t, pub.Publish(short, "q/a", []byte("x")), context.DeadlineExceeded)
					cancel()
				}
				kd.Block(false)
				require.NoError(t, <-qos1)
				for i := range 3 {
					require.Equal(t, strconv.Itoa(i), string(s.next(t).Payload))
				}
				require.NoError(t, pub.Publish(ctx, "q/marker", nil, QoS1))
				require.Empty(t, s.until(t, "q/marker"))
			})
		}
	})
}

// TestDisconnectFailsWaiters checks that a Publish waiting for its ack while the client is
// offline returns ErrClosed when Disconnect runs, and that nothing is left running (goleak).
func TestDisconnectFailsWaiters(t *testing.T) {
	b := startBroker(t, brokerConfig{})
	ctx := testCtx(t)
	kd := &mqtttest.Dialer{}
	st := newStates()
	c, err := Dial(ctx, mqttURL(b), Options{ClientID: clientID("dfw"), Dialer: kd, OnStateChange: st.record,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	require.NoError(t, err)
	kd.Block(true)
	kd.Cut()
	st.waitFor(t, StateDisconnected)
	errc := make(chan error, 1)
	go func() { errc <- c.Publish(ctx, "d", []byte("x"), QoS1) }()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.queue) == 1
	}, waitTimeout, time.Millisecond)
	require.NoError(t, c.Disconnect(ctx))
	require.ErrorIs(t, <-errc, ErrClosed)
	require.Equal(t, StateClosed, st.waitFor(t, StateClosed).State)
}
