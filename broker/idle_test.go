package broker

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// startIdleBroker starts a broker whose connections park after 5 ms of quiet.
func startIdleBroker(t *testing.T) *testBroker {
	t.Helper()
	s, err := New(Options{SysInterval: -1, Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	s.idleAfter = 5 * time.Millisecond
	return serveTest(t, s)
}

// An idle connection parks (no read buffer, no write goroutine, a fresh small goroutine) and
// wakes up for the next packet, for deliveries to it, and for its keepalive deadline.
func TestIdleConnectionsPark(t *testing.T) {
	b := startIdleBroker(t)
	in := newInbox()
	watcher := b.connect(t, b.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 1, in)

	r := b.dialRaw(t)
	r.connect(&packet.Connect{ClientID: "idle", CleanStart: true, KeepAlive: 1,
		Will: &packet.Will{Topic: "will/idle", Payload: []byte("x")}})
	r.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "to/idle", QoS: 1}}})
	r.read()
	parked := func() bool { return b.stats.parked.Load() >= 2 } // the watcher and r
	require.Eventually(t, parked, waitTimeout, time.Millisecond)

	r.send(&packet.Pingreq{}) // wakes the parked connection
	require.Equal(t, &packet.Pingresp{}, r.read())
	require.Eventually(t, parked, waitTimeout, time.Millisecond)

	wait(t, watcher.Publish("to/idle", 1, false, "hello")) // delivery to a parked connection
	p := r.read().(*packet.Publish)
	require.Equal(t, "hello", string(p.Payload))
	r.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})

	// Silence past 1.5 × keepalive ends a parked connection with its will.
	r.expectClosed()
	require.Equal(t, "will/idle", in.next(t).Topic())
}
