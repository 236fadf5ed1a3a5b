package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// A persistent session keeps its subscriptions and queues QoS 1/2 (not QoS 0) messages in
// order while the client is away; session present is reported on return.
func TestOfflineQueueing(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	o := b.pahoOpts("offline").SetCleanSession(false)
	o.SetDefaultPublishHandler(in.handler)
	sub := b.connect(t, o)
	subscribe(t, sub, "q/#", 2, in)
	sub.Disconnect(100)
	b.waitConnected(t, 0)

	pub := b.connect(t, b.pahoOpts("pub"))
	for i := range 9 {
		wait(t, pub.Publish("q/x", byte(i%3), false, fmt.Sprintf("m%d", i)))
	}
	sub = b.connect(t, o)
	for _, i := range []int{1, 2, 4, 5, 7, 8} { // QoS 0 messages (0, 3, 6) are not queued
		m := in.next(t)
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Payload()))
		require.Equal(t, byte(i%3), m.Qos())
	}
	wait(t, pub.Publish("q/x", 1, false, "marker"))
	require.Equal(t, "marker", string(in.next(t).Payload()))
	in.none(t)
}

func TestSessionPresent(t *testing.T) {
	b := startBroker(t, Options{})
	r := b.dialRaw(t)
	require.False(t, r.connect(&packet.Connect{ClientID: "sp", CleanStart: false}).SessionPresent)
	r.send(&packet.Disconnect{})
	r.expectClosed()

	r = b.dialRaw(t)
	require.True(t, r.connect(&packet.Connect{ClientID: "sp", CleanStart: false}).SessionPresent)
	r.send(&packet.Disconnect{})
	r.expectClosed()

	r = b.dialRaw(t)
	require.False(t, r.connect(&packet.Connect{ClientID: "sp", CleanStart: true}).SessionPresent, "clean session discards")
	r.send(&packet.Disconnect{})
	r.expectClosed()
	require.Equal(t, 0, b.Stats().Sessions, "clean session is gone after disconnect")
}

// The queue of an offline session is bounded; the excess is dropped and counted.
func TestQueueBound(t *testing.T) {
	b := startBroker(t, Options{MaxQueuedMessages: 3})
	in := newInbox()
	o := b.pahoOpts("bounded").SetCleanSession(false)
	o.SetDefaultPublishHandler(in.handler)
	sub := b.connect(t, o)
	subscribe(t, sub, "b", 1, in)
	sub.Disconnect(100)
	b.waitConnected(t, 0) // else the first message may still go to the closing connection

	pub := b.connect(t, b.pahoOpts("pub"))
	for i := range 5 {
		wait(t, pub.Publish("b", 1, false, fmt.Sprintf("m%d", i)))
	}
	require.Equal(t, int64(3), b.Stats().Queued)
	require.Equal(t, uint64(2), b.Stats().Dropped)
	b.connect(t, o)
	for i := range 3 {
		require.Equal(t, fmt.Sprintf("m%d", i), string(in.next(t).Payload()), "oldest kept, newest dropped")
	}
}

// Unacknowledged QoS 1 and QoS 2 messages are resent with DUP, same packet id, when a
// persistent session reconnects [MQTT-4.4.0-1]; a QoS 2 message whose PUBREC was received is
// resumed with PUBREL.
func TestRedeliveryOnReconnect(t *testing.T) {
	b := startBroker(t, Options{})
	r := b.dialRaw(t)
	r.connect(&packet.Connect{ClientID: "redeliver", CleanStart: false})
	r.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "r/#", QoS: 2}}})
	require.Equal(t, &packet.Suback{PacketID: 1, ReasonCodes: []byte{2}}, r.read())

	pub := b.connect(t, b.pahoOpts("pub"))
	wait(t, pub.Publish("r/1", 1, false, "q1"))
	wait(t, pub.Publish("r/2", 2, false, "q2a"))
	wait(t, pub.Publish("r/3", 2, false, "q2b"))
	p1 := r.read().(*packet.Publish)
	p2 := r.read().(*packet.Publish)
	p3 := r.read().(*packet.Publish)
	require.False(t, p1.Dup)
	r.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p3.PacketID}) // only the third is received
	require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p3.PacketID}, r.read())
	r.nc.Close() // no acks for the rest

	r = b.dialRaw(t)
	require.True(t, r.connect(&packet.Connect{ClientID: "redeliver", CleanStart: false}).SessionPresent)
	d1 := r.read().(*packet.Publish)
	d2 := r.read().(*packet.Publish)
	require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p3.PacketID}, r.read())
	for _, pair := range [][2]*packet.Publish{{p1, d1}, {p2, d2}} {
		was, now := pair[0], pair[1]
		require.True(t, now.Dup, "DUP on redelivery")
		require.Equal(t, was.PacketID, now.PacketID)
		require.Equal(t, was.QoS, now.QoS)
		require.Equal(t, string(was.Payload), string(now.Payload))
	}
	r.send(&packet.Ack{Kind: packet.PUBACK, PacketID: d1.PacketID})
	r.send(&packet.Ack{Kind: packet.PUBREC, PacketID: d2.PacketID})
	require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: d2.PacketID}, r.read())
	r.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: d2.PacketID}, &packet.Ack{Kind: packet.PUBCOMP, PacketID: p3.PacketID})
	r.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, r.read())
	r.send(&packet.Disconnect{})
	r.expectClosed()

	r = b.dialRaw(t)
	require.True(t, r.connect(&packet.Connect{ClientID: "redeliver", CleanStart: false}).SessionPresent)
	r.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, r.read(), "nothing left to redeliver")
}

// A second connection with the same client id takes the session over and closes the first
// [MQTT-3.1.4-2]; the first one's will is published.
func TestSessionTakeover(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	watcher := b.connect(t, b.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 1, in)

	first := b.dialRaw(t)
	first.connect(&packet.Connect{ClientID: "dup", CleanStart: false, Will: &packet.Will{Topic: "will/dup", Payload: []byte("gone"), QoS: 1}})
	first.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "t", QoS: 1}}})
	first.read()

	second := b.dialRaw(t)
	require.True(t, second.connect(&packet.Connect{ClientID: "dup", CleanStart: false}).SessionPresent)
	first.expectClosed()
	require.Equal(t, "gone", string(in.next(t).Payload()))

	wait(t, watcher.Publish("t", 1, false, "to-second"))
	p := second.read().(*packet.Publish)
	require.Equal(t, "to-second", string(p.Payload), "subscriptions moved with the session")
}

// A 5.0 session with a finite expiry interval is discarded that long after its client left
// [MQTT-4.1.0-2]; a DISCONNECT can change the interval.
func TestSessionExpiry(t *testing.T) {
	b := startBroker(t, Options{})
	connect := func(id string, expiry uint32) *rawClient {
		r := b.dialRaw(t)
		r.connect(&packet.Connect{Version: packet.V5, ClientID: id, CleanStart: false,
			Properties: &packet.Properties{SessionExpiry: new(expiry)}})
		return r
	}
	// Each session is still there right after its client left (checked at once, well inside
	// its interval), and the two short ones go.
	r := connect("long", 3600)
	r.send(&packet.Disconnect{})
	r.expectClosed()
	require.Equal(t, 1, b.Stats().Sessions)
	r = connect("changed", 3600)
	r.send(&packet.Disconnect{Properties: &packet.Properties{SessionExpiry: new(uint32(2))}})
	r.expectClosed()
	require.Equal(t, 2, b.Stats().Sessions)
	r = connect("short", 2)
	r.send(&packet.Disconnect{})
	r.expectClosed()
	require.Equal(t, 3, b.Stats().Sessions)
	require.Eventually(t, func() bool { return b.Stats().Sessions == 1 }, waitTimeout, 10*time.Millisecond)

	r = b.dialRaw(t)
	ack := r.connect(&packet.Connect{Version: packet.V5, ClientID: "long", CleanStart: false,
		Properties: &packet.Properties{SessionExpiry: new(uint32(3600))}})
	require.True(t, ack.SessionPresent, "the unexpired session is still there")
	r = b.dialRaw(t)
	ack = r.connect(&packet.Connect{Version: packet.V5, ClientID: "short", CleanStart: false})
	require.False(t, ack.SessionPresent, "the expired one is gone")
}
