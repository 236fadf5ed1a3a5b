package broker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Go code in the same process publishes and subscribes without a socket, and meets network
// clients on the same topics.
func TestInlineClient(t *testing.T) {
	b := startBroker(t, Options{})
	require.NoError(t, b.Publish("inline/retained", []byte("r"), packet.QoS1, true))

	got := make(chan *Message, 10)
	unsub, err := b.Subscribe("inline/#", packet.QoS1, func(m *Message) { got <- m })
	require.NoError(t, err)
	m := <-got
	require.Equal(t, "inline/retained", m.Topic)
	require.True(t, m.Retain)

	net := b.connect(t, b.pahoOpts("net"))
	wait(t, net.Publish("inline/from-net", 2, false, "n"))
	m = <-got
	require.Equal(t, "n", string(m.Payload))
	require.Equal(t, packet.QoS1, m.QoS, "min(published 2, subscribed 1)")

	in := newInbox()
	subscribe(t, net, "to-net", 1, in)
	require.NoError(t, b.Publish("to-net", []byte("x"), packet.QoS1, false))
	require.Equal(t, "x", string(in.next(t).Payload()))

	unsub()
	unsub() // idempotent
	require.ErrorIs(t, b.Publish("bad/#", nil, 0, false), ErrInvalidTopic)
	_, err = b.Subscribe("bad/#/x", 0, func(*Message) {})
	require.ErrorIs(t, err, ErrInvalidTopic)
}
