package broker

import (
	"testing"

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
	payload := make([]byte, 1024)
	const n = 20000 // 20 MB: far more than the socket buffers and the outbound bound hold
	batch := make([]byte, 0, 64<<10)
	for i := 0; i < n; i++ {
		var err error
		batch, err = (&packet.Publish{Topic: "flood", Payload: payload}).Encode(batch, packet.V311)
		require.NoError(t, err)
		if len(batch) > 60<<10 || i == n-1 {
			pub.sendBytes(batch) // would block forever if the broker stopped reading
			batch = batch[:0]
		}
	}
	pub.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, pub.read(), "publisher's connection still served")
	wait(t, other.Publish("other", 1, false, "hi"))
	require.Equal(t, "hi", string(in.next(t).Payload()))
	require.Greater(t, b.Stats().Dropped, uint64(0), "drops are counted")
}
