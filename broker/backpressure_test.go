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
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := b.connect(t, b.pahoOpts(fmt.Sprintf("pub%d", p)).SetMaxResumePubInFlight(100))
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
