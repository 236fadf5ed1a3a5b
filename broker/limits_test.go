package broker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// At most MaxInflight QoS 1 messages (or the 5.0 client's smaller Receive Maximum) are
// unacknowledged at once [MQTT-3.3.4-9]; each acknowledgement lets the next queued one go.
func TestInflightWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      *packet.Connect
		window int
	}{
		{"MaxInflight", &packet.Connect{ClientID: "win", CleanStart: true}, 3},
		{"ReceiveMaximum", &packet.Connect{Version: packet.V5, ClientID: "win", CleanStart: true,
			Properties: &packet.Properties{ReceiveMaximum: new(uint16(2))}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t, Options{MaxInflight: 3})
			sub := b.dialRaw(t)
			sub.connect(tc.c)
			sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "w", QoS: 1}}})
			require.IsType(t, &packet.Suback{}, sub.read())

			pub := b.connect(t, b.pahoOpts("pub"))
			const n = 6
			for i := range n {
				wait(t, pub.Publish("w", 1, false, fmt.Sprintf("m%d", i))) // routed before its PUBACK
			}
			var ids []uint16
			for i := range tc.window {
				p := sub.read().(*packet.Publish)
				require.Equal(t, fmt.Sprintf("m%d", i), string(p.Payload))
				ids = append(ids, p.PacketID)
			}
			// Anything written before the PINGRESP would arrive before it.
			sub.send(&packet.Pingreq{})
			require.Equal(t, &packet.Pingresp{}, sub.read(), "no more than %d in flight", tc.window)

			for i := tc.window; i < n; i++ {
				sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: ids[0]})
				ids = ids[1:]
				p := sub.read().(*packet.Publish)
				require.Equal(t, fmt.Sprintf("m%d", i), string(p.Payload), "one more per acknowledgement")
				ids = append(ids, p.PacketID)
				sub.send(&packet.Pingreq{})
				require.Equal(t, &packet.Pingresp{}, sub.read(), "only one per acknowledgement")
			}
			require.Equal(t, int64(0), b.Stats().Queued)
		})
	}
}

// An offline session's queue is bounded in payload bytes too; what does not fit is dropped
// and counted, and what fits is delivered in order.
func TestQueueBytesBound(t *testing.T) {
	b := startBroker(t, Options{MaxQueuedBytes: 10})
	subscriber(t, b.addr, "bytes", "q", 1).leave()

	pub := b.connect(t, b.pahoOpts("pub"))
	for _, p := range []string{"aaaa", "bbbb", "cccc", "dd"} { // 4+4 fit; 12 would not; 10 fits
		wait(t, pub.Publish("q", 1, false, p))
	}
	require.Equal(t, int64(3), b.Stats().Queued)
	require.Equal(t, uint64(1), b.Stats().Dropped)

	sub := b.dialRaw(t)
	require.True(t, sub.connect(&packet.Connect{ClientID: "bytes", CleanStart: false}).SessionPresent)
	for _, want := range []string{"aaaa", "bbbb", "dd"} {
		p := sub.read().(*packet.Publish)
		require.Equal(t, want, string(p.Payload))
		sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
	}
	sub.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, sub.read(), "the dropped message does not come later")
}

// With QueueQoS0 (Mosquitto's queue_qos0_messages) an offline persistent session queues QoS 0
// messages too; they are delivered at QoS 0, in order with the others.
func TestQueueQoS0(t *testing.T) {
	b := startBroker(t, Options{QueueQoS0: true})
	subscriber(t, b.addr, "q0", "q", 1).leave()

	pub := b.connect(t, b.pahoOpts("pub"))
	// A QoS 0 publish returns once written; the last one, at QoS 1, is acknowledged after the
	// broker has routed everything before it.
	for i, q := range []byte{0, 1, 0, 1} {
		wait(t, pub.Publish("q", q, false, fmt.Sprintf("m%d", i)))
	}
	require.Equal(t, int64(4), b.Stats().Queued)

	sub := b.dialRaw(t)
	sub.connect(&packet.Connect{ClientID: "q0", CleanStart: false})
	for i, q := range []packet.QoS{0, 1, 0, 1} {
		p := sub.read().(*packet.Publish)
		require.Equal(t, fmt.Sprintf("m%d", i), string(p.Payload))
		require.Equal(t, q, p.QoS)
	}
}
