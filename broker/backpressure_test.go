package broker

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Fan-in into a subscriber that falls behind: the publishers are held back instead of the
// broker dropping messages it has acknowledged, and every QoS 1 message arrives.
func TestBackpressureLosesNothing(t *testing.T) {
	b := startBroker(t, Options{MaxQueuedMessages: 50})
	sub := b.dialRaw(t)
	sub.connect(&packet.Connect{ClientID: "slow", CleanStart: true})
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "in/#", QoS: 1}}})
	sub.read()

	const pubs, each = 5, 400
	var wg sync.WaitGroup
	for p := range pubs {
		c := b.connect(t, b.pahoOpts(fmt.Sprintf("pub%d", p)).SetMaxResumePubInFlight(100))
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks := make([]interface{ Wait() bool }, 0, each)
			for i := range each {
				toks = append(toks, c.Publish(fmt.Sprintf("in/%d", p), 1, false, fmt.Sprintf("%d-%d", p, i)))
			}
			for _, tok := range toks {
				tok.Wait()
			}
		}()
	}
	// The subscriber reads nothing until publishers are being held back.
	require.Eventually(t, func() bool { return b.stats.stalls.Load() > 0 }, waitTimeout, time.Millisecond)

	got := map[string]bool{}
	for len(got) < pubs*each {
		p := sub.read().(*packet.Publish)
		got[string(p.Payload)] = true
		sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
	}
	wg.Wait()
	require.Zero(t, b.Stats().Dropped, "nothing acknowledged was dropped")
}

// A connected subscriber that reads but acknowledges nothing holds publishers back once, for
// stallNoProgress, and then no more until it acknowledges something: a publisher is not
// slowed down for good by one stuck subscriber. Its excess is dropped and counted.
func TestStuckSubscriberHoldsPublishersOnce(t *testing.T) {
	b := startBroker(t, Options{MaxQueuedMessages: 10, MaxInflight: 2})
	sub := b.dialRaw(t)
	sub.connect(&packet.Connect{ClientID: "noack", CleanStart: true})
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "t", QoS: 1}}})
	require.IsType(t, &packet.Suback{}, sub.read())
	// Reads everything, acknowledges nothing; the first PUBLISH it gets is kept.
	first := make(chan *packet.Publish, 1)
	go func() {
		if p, err := sub.pr.Read(); err == nil {
			first <- p.(*packet.Publish)
		}
		drainAll(sub.nc)
	}()

	pub := b.dialRaw(t)
	pub.connect(&packet.Connect{ClientID: "pub", CleanStart: true})
	publish := func(from, to int) {
		for i := from; i <= to; i++ {
			pub.send(&packet.Publish{QoS: 1, PacketID: uint16(i), Topic: "t", Payload: []byte("x")})
			require.Equal(t, &packet.Ack{Kind: packet.PUBACK, PacketID: uint16(i)}, pub.read())
		}
	}
	publish(1, 30)
	require.Equal(t, uint64(1), b.stats.stalls.Load(), "held back once, not once per publish")
	require.Positive(t, b.Stats().Dropped, "beyond its queue limit, dropped and counted")

	// Once it acknowledges something it is waited for again.
	p := <-first
	sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
	require.Eventually(t, func() bool { return !b.sessionStuck("noack") }, waitTimeout, time.Millisecond)
	publish(31, 60)
	require.Equal(t, uint64(2), b.stats.stalls.Load(), "waited for again after it moved")
}
