package broker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// delayedWillConnect is a 5.0 CONNECT with a session that outlives the connection and a will
// delayed by delay seconds.
func delayedWillConnect(id string, delay uint32) *packet.Connect {
	return &packet.Connect{Version: packet.V5, ClientID: id, CleanStart: false, KeepAlive: 60,
		Properties: &packet.Properties{SessionExpiry: new(uint32(3600))},
		Will: &packet.Will{Topic: "will/" + id, Payload: []byte("gone"), QoS: 1,
			Properties: &packet.Properties{WillDelay: new(delay)}}}
}

// A 5.0 will with a delay goes out after the delay [MQTT-3.1.3-9], not at all if the client
// comes back in time, and at once when the session ends first.
func TestWillDelay(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	watcher := b.connect(t, b.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 1, in)

	// Back in time: no will.
	r := b.dialRaw(t)
	r.connect(delayedWillConnect("back", 3600))
	r.nc.Close()
	b.waitConnected(t, 1)
	r = b.dialRaw(t)
	require.True(t, r.connect(&packet.Connect{Version: packet.V5, ClientID: "back", CleanStart: false,
		Properties: &packet.Properties{SessionExpiry: new(uint32(3600))}}).SessionPresent)

	// Delay passes: the will arrives, without the delay property.
	start := time.Now()
	r2 := b.dialRaw(t)
	r2.connect(delayedWillConnect("late", 1))
	r2.nc.Close()
	m := in.next(t)
	require.Equal(t, "will/late", m.Topic())
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "not before the delay")

	// The session ends before the delay: the will goes out then.
	r3 := b.dialRaw(t)
	c := delayedWillConnect("short", 3600)
	c.Properties.SessionExpiry = new(uint32(1))
	r3.connect(c)
	r3.nc.Close()
	require.Equal(t, "will/short", in.next(t).Topic())

	wait(t, watcher.Publish("will/marker", 1, false, "m"))
	require.Equal(t, "will/marker", in.next(t).Topic(), "no will from the client that came back")
}

// A waiting will survives a restart of a broker with disk persistence and goes out after it.
func TestWillDelaySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SysInterval: -1, Persistence: &store.Options{Dir: dir}}
	b := startBroker(t, opts)
	r := b.dialRaw(t)
	c := delayedWillConnect("restart", 2)
	c.Will.Retain = true // the watcher below gets it whether it subscribes before or after
	r.connect(c)
	r.nc.Close()
	b.waitConnected(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))

	b2 := startBroker(t, opts)
	in := newInbox()
	watcher := b2.connect(t, b2.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 1, in)
	require.Equal(t, "will/restart", in.next(t).Topic())
}
