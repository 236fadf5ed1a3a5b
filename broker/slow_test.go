package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// A subscriber that stops reading never blocks a publisher: its QoS 0 messages beyond the
// outbound bound are dropped and counted, and everyone else is served.
func TestSlowConsumerDoesNotBlockPublisher(t *testing.T) {
	b := startBroker(t, Options{MaxOutboundBytes: 64 << 10})
	stuck := b.dialRaw(t)
	stuck.connect(&packet.Connect{ClientID: "stuck", CleanStart: true})
	stuck.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "flood", QoS: 0}}})
	stuck.read() // SUBACK; from now on it reads nothing

	in := newInbox()
	other := b.connect(t, b.pahoOpts("other"))
	subscribe(t, other, "other", 1, in)

	pub := b.dialRaw(t)
	pub.connect(&packet.Connect{ClientID: "pub", CleanStart: true})
	flood(t, pub, "flood")
	pub.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, pub.read(), "publisher's connection still served")
	wait(t, other.Publish("other", 1, false, "hi"))
	require.Equal(t, "hi", string(in.next(t).Payload()))
	require.Greater(t, b.Stats().Dropped, uint64(0), "drops are counted")
}

// A subscriber whose socket accepts nothing for WriteTimeout is closed as a slow consumer: an
// abnormal end, so its will is published.
func TestStuckConsumerIsClosed(t *testing.T) {
	b := startBroker(t, Options{WriteTimeout: 200 * time.Millisecond})
	in := newInbox()
	watcher := b.connect(t, b.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 1, in)

	stuck := b.dialRaw(t)
	stuck.connect(&packet.Connect{ClientID: "stuck", CleanStart: true,
		Will: &packet.Will{Topic: "will/stuck", Payload: []byte("gone"), QoS: 1}})
	stuck.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "flood", QoS: 0}}})
	stuck.read() // SUBACK; from now on it reads nothing

	pub := b.dialRaw(t)
	pub.connect(&packet.Connect{ClientID: "pub", CleanStart: true})
	flood(t, pub, "flood")
	m := in.next(t)
	require.Equal(t, "will/stuck", m.Topic())
	require.Equal(t, "gone", string(m.Payload()))
	require.Equal(t, uint64(1), b.Stats().SlowConsumers)
	pub.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, pub.read(), "the publisher is still served")
}

// flood publishes 20 MB of QoS 0 messages on topic through pub: far more than the socket
// buffers and the outbound bound of a subscriber that does not read can hold.
func flood(t *testing.T, pub *rawClient, topic string) {
	t.Helper()
	payload := make([]byte, 1024)
	const n = 20000
	batch := make([]byte, 0, 64<<10)
	for i := range n {
		var err error
		batch, err = (&packet.Publish{Topic: topic, Payload: payload}).Encode(batch, packet.V311)
		require.NoError(t, err)
		if len(batch) > 60<<10 || i == n-1 {
			pub.sendBytes(batch) // would block forever if the broker stopped reading
			batch = batch[:0]
		}
	}
}

// QoS 1 messages beyond a non-reading subscriber's outbound bound wait in its session queue,
// not dropped; once it reads again every one arrives, in order.
func TestSlowConsumerQoS1Queued(t *testing.T) {
	b := startBroker(t, Options{MaxOutboundBytes: 64 << 10, MaxInflight: 65535})
	slow := b.dialRaw(t)
	slow.connect(&packet.Connect{ClientID: "slow", CleanStart: true})
	slow.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "big", QoS: 1}}})
	require.IsType(t, &packet.Suback{}, slow.read()) // from now on it reads nothing, for a while

	pub := b.dialRaw(t)
	pub.connect(&packet.Connect{ClientID: "pub", CleanStart: true})
	const n = 200 // 6.4 MB: more than the socket buffers and the outbound bound hold
	payload := make([]byte, 32<<10)
	for i := 1; i <= n; i++ {
		payload[0] = byte(i)
		pub.send(&packet.Publish{QoS: 1, PacketID: uint16(i), Topic: "big", Payload: payload})
		require.Equal(t, &packet.Ack{Kind: packet.PUBACK, PacketID: uint16(i)}, pub.read())
	}
	require.Positive(t, b.Stats().Queued, "some waited in the session queue")
	require.Zero(t, b.Stats().Dropped)

	for i := 1; i <= n; i++ {
		p := slow.read().(*packet.Publish)
		require.Equal(t, byte(i), p.Payload[0], "in order, none lost")
		slow.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
	}
	require.Zero(t, b.Stats().Dropped)
}
