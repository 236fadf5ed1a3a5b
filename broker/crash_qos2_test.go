package broker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// A PUBCOMP leaves only once the release of its incoming QoS 2 packet id is on disk: after a
// SIGKILL, a persistent publisher that reuses the id (as it may after PUBCOMP) has its next
// message delivered, not taken for a duplicate of the last.
func TestCrashInboundQoS2IDReleased(t *testing.T) {
	dir := t.TempDir()
	b := startCrashBroker(t, dir)
	subscriber(t, b.addr, "s", "q/#", 1).nc.Close()

	pub := dialRawAddr(t, b.addr)
	pub.connect(&packet.Connect{ClientID: "p", CleanStart: false})
	pub.publish2(7, "q/a", "first")
	b.kill()

	b = startCrashBroker(t, dir)
	pub = dialRawAddr(t, b.addr)
	pub.connect(&packet.Connect{ClientID: "p", CleanStart: false})
	pub.publish2(7, "q/a", "second") // id 7 is free again after its PUBCOMP
	pub.send(&packet.Publish{QoS: 1, PacketID: 8, Topic: "q/a", Payload: []byte("marker")})
	require.Equal(t, &packet.Ack{Kind: packet.PUBACK, PacketID: 8}, pub.read())

	sub := dialRawAddr(t, b.addr)
	sub.connect(&packet.Connect{ClientID: "s", CleanStart: false})
	var got []string
	for len(got) == 0 || got[len(got)-1] != "marker" {
		p := sub.read().(*packet.Publish)
		got = append(got, string(p.Payload))
		sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
	}
	require.Equal(t, []string{"first", "second", "marker"}, got)
}

// A PUBREL leaves only once the broker's record that the subscriber received the QoS 2
// message is on disk: after a SIGKILL the broker resumes with PUBREL, never resends the
// PUBLISH, which the subscriber, having completed the exchange, would take for a new message.
func TestCrashOutboundQoS2Released(t *testing.T) {
	dir := t.TempDir()
	b := startCrashBroker(t, dir)
	sub := subscriber(t, b.addr, "s", "q/#", 2)

	pub := dialRawAddr(t, b.addr)
	pub.connect(&packet.Connect{ClientID: "p", CleanStart: true})
	pub.publish2(7, "q/a", "once")

	p := sub.read().(*packet.Publish)
	require.Equal(t, packet.QoS(2), p.QoS)
	sub.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
	require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID}, sub.read())
	b.kill() // before the subscriber's PUBCOMP

	b = startCrashBroker(t, dir)
	sub = dialRawAddr(t, b.addr)
	require.True(t, sub.connect(&packet.Connect{ClientID: "s", CleanStart: false}).SessionPresent)
	require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID}, sub.read(), "resumed with PUBREL")
	sub.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
	sub.send(&packet.Pingreq{})
	require.Equal(t, &packet.Pingresp{}, sub.read(), "nothing else: the message is not sent again")
}

// A QoS 2 PUBLISH leaves only once the packet id it carries is on disk: after a SIGKILL the
// broker resends it with the same id, which the subscriber (awaiting PUBREL for that id)
// recognises, rather than with a fresh id it would take for a new message.
func TestCrashOutboundQoS2KeepsPacketID(t *testing.T) {
	dir := t.TempDir()
	b := startCrashBroker(t, dir)
	sub := subscriber(t, b.addr, "s", "q/#", 2)
	pub := dialRawAddr(t, b.addr)
	pub.connect(&packet.Connect{ClientID: "p", CleanStart: true})
	// Two messages go through whole, so the session's next packet id is not the first.
	for i, m := range []string{"a", "b"} {
		pub.publish2(uint16(i+1), "q/a", m)
		p := sub.read().(*packet.Publish)
		sub.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
		require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID}, sub.read())
		sub.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
	}
	sub.leave()
	pub.publish2(3, "q/a", "c") // queued for the offline subscriber

	sub = dialRawAddr(t, b.addr)
	sub.connect(&packet.Connect{ClientID: "s", CleanStart: false})
	sent := sub.read().(*packet.Publish)
	require.Equal(t, "c", string(sent.Payload))
	b.kill() // the subscriber has "c" and awaits PUBREL for its id

	b = startCrashBroker(t, dir)
	sub = dialRawAddr(t, b.addr)
	sub.connect(&packet.Connect{ClientID: "s", CleanStart: false})
	again := sub.read().(*packet.Publish)
	require.Equal(t, "c", string(again.Payload))
	require.Equal(t, sent.PacketID, again.PacketID, "resent with the packet id the subscriber knows")
	require.True(t, again.Dup)
}
