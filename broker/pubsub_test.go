package broker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Publish and subscribe at every QoS pair, for 3.1 and 3.1.1 clients.
func TestPubSubQoS(t *testing.T) {
	b := startBroker(t, Options{})
	for _, ver := range []uint{3, 4} {
		for pubQoS := byte(0); pubQoS <= 2; pubQoS++ {
			for subQoS := byte(0); subQoS <= 2; subQoS++ {
				t.Run(fmt.Sprintf("v%d/pub%d/sub%d", ver, pubQoS, subQoS), func(t *testing.T) {
					in := newInbox()
					sub := b.connect(t, b.pahoOpts(t.Name()+"-sub").SetProtocolVersion(ver))
					subscribe(t, sub, "a/+/c", subQoS, in)
					pub := b.connect(t, b.pahoOpts(t.Name()+"-pub").SetProtocolVersion(ver))
					for i := range 5 {
						wait(t, pub.Publish("a/b/c", pubQoS, false, fmt.Sprintf("m%d", i)))
					}
					for i := range 5 {
						m := in.next(t)
						require.Equal(t, "a/b/c", m.Topic())
						require.Equal(t, fmt.Sprintf("m%d", i), string(m.Payload()), "in order")
						require.Equal(t, min(pubQoS, subQoS), m.Qos(), "delivered at min(pub, granted)")
						require.False(t, m.Retained())
					}
				})
			}
		}
	}
}

// A QoS 2 PUBLISH resent with DUP before PUBREL is delivered once [MQTT-4.3.3-2], and the
// PUBREC/PUBREL/PUBCOMP exchange completes.
func TestQoS2ExactlyOnceReceipt(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	sub := b.connect(t, b.pahoOpts("sub"))
	subscribe(t, sub, "x", 2, in)

	r := b.dialRaw(t)
	require.Equal(t, packet.ConnAccepted, r.connect(&packet.Connect{ClientID: "raw", CleanStart: true}).ReasonCode)
	pub := &packet.Publish{QoS: 2, Topic: "x", PacketID: 7, Payload: []byte("once")}
	r.send(pub)
	require.Equal(t, &packet.Ack{Kind: packet.PUBREC, PacketID: 7}, r.read())
	pub.Dup = true
	r.send(pub)
	require.Equal(t, &packet.Ack{Kind: packet.PUBREC, PacketID: 7}, r.read())
	r.send(&packet.Ack{Kind: packet.PUBREL, PacketID: 7})
	require.Equal(t, &packet.Ack{Kind: packet.PUBCOMP, PacketID: 7}, r.read())

	require.Equal(t, "once", string(in.next(t).Payload()))
	// A round trip after the duplicate proves it was not delivered.
	wait(t, sub.Publish("x", 1, false, "marker"))
	require.Equal(t, "marker", string(in.next(t).Payload()))
	in.none(t)
}

// Overlapping subscriptions of one client give one copy at the highest granted QoS
// [MQTT-3.3.5-1]. (paho.mqtt.golang would call a handler once per matching filter, so the
// messages go to its default handler.)
func TestOverlappingSubscriptions(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	o := b.pahoOpts("overlap")
	o.SetDefaultPublishHandler(in.handler)
	c := b.connect(t, o)
	wait(t, c.SubscribeMultiple(map[string]byte{"a/#": 2, "a/b": 0, "+/b": 1}, nil))
	wait(t, c.Publish("a/b", 2, false, "one"))
	m := in.next(t)
	require.Equal(t, "one", string(m.Payload()))
	require.Equal(t, byte(2), m.Qos())
	wait(t, c.Publish("a/z", 0, false, "marker"))
	require.Equal(t, "marker", string(in.next(t).Payload()))
	in.none(t)
}

func TestUnsubscribe(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	c := b.connect(t, b.pahoOpts("unsub"))
	subscribe(t, c, "u/1", 1, in)
	subscribe(t, c, "u/2", 1, in)
	wait(t, c.Unsubscribe("u/1"))
	wait(t, c.Publish("u/1", 1, false, "gone"))
	wait(t, c.Publish("u/2", 1, false, "kept"))
	require.Equal(t, "kept", string(in.next(t).Payload()))
	in.none(t)
	require.Equal(t, 1, b.Stats().Subscriptions)
}

// Topics starting with $ are not matched by filters starting with a wildcard [MQTT-4.7.2-1],
// and clients cannot publish into $SYS.
func TestDollarTopics(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	o := b.pahoOpts("dollar")
	o.SetDefaultPublishHandler(in.handler)
	c := b.connect(t, o)
	wait(t, c.SubscribeMultiple(map[string]byte{"#": 1, "+/x": 1, "$test/#": 1, "$SYS/fake": 1}, nil))
	wait(t, c.Publish("$test/x", 1, false, "d"))
	m := in.next(t)
	require.Equal(t, "$test/x", m.Topic(), "only through $test/#: one copy")
	wait(t, c.Publish("plain/x", 1, false, "p"))
	require.Equal(t, "plain/x", in.next(t).Topic(), "one copy through # and +/x")
	wait(t, c.Publish("$SYS/fake", 1, false, "no")) // refused: clients cannot publish to $SYS
	wait(t, c.Publish("$test/y", 1, false, "marker"))
	require.Equal(t, "$test/y", in.next(t).Topic(), "$SYS/fake was not delivered")
	in.none(t)
}
