package broker

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// restart shuts b down and starts a broker with the same options (and store directory).
func restart(t *testing.T, b *testBroker, opts Options) *testBroker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	return startBroker(t, opts)
}

// Clean sessions cost nothing on disk: a clean subscriber and publisher exchanging QoS 1 and 2
// messages append no record to the store.
func TestCleanSessionsCostNothingOnDisk(t *testing.T) {
	b := startBroker(t, Options{Persistence: &store.Options{Dir: t.TempDir()}})
	before := b.persist.st.Stats()
	sub := b.dialRaw(t)
	sub.connect(&packet.Connect{ClientID: "clean-sub", CleanStart: true})
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "c/#", QoS: 2}}})
	require.IsType(t, &packet.Suback{}, sub.read())
	pub := b.connect(t, b.pahoOpts("clean-pub"))
	for i := range 20 {
		wait(t, pub.Publish("c/x", byte(1+i%2), false, "m"))
		p := sub.read().(*packet.Publish)
		if p.QoS == 1 {
			sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
		} else {
			sub.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
			require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID}, sub.read())
			sub.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
		}
	}
	sub.send(&packet.Disconnect{})
	sub.expectClosed()
	require.Equal(t, before.Records, b.persist.st.Stats().Records, "records appended for clean sessions")
}

// A graceful restart keeps persistent sessions (subscriptions, queued QoS 1 and 2 messages,
// their 5.0 expiry, which goes on counting) and retained messages.
func TestRestartKeepsSessionsAndRetained(t *testing.T) {
	opts := Options{Persistence: &store.Options{Dir: t.TempDir()}}
	b := startBroker(t, opts)
	for _, c := range []*packet.Connect{
		{ClientID: "keeper", CleanStart: false},
		{Version: packet.V5, ClientID: "brief", CleanStart: false, Properties: &packet.Properties{SessionExpiry: new(uint32(3))}},
	} {
		r := b.dialRaw(t)
		r.connect(c)
		r.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "k/#", QoS: 2}}})
		require.IsType(t, &packet.Suback{}, r.read())
		r.send(&packet.Disconnect{})
		r.expectClosed()
	}
	pub := b.connect(t, b.pahoOpts("pub"))
	wait(t, pub.Publish("k/1", 1, false, "one"))
	wait(t, pub.Publish("k/2", 2, false, "two"))
	wait(t, pub.Publish("k/r", 1, true, "kept"))
	pub.Disconnect(100)

	b = restart(t, b, opts)
	require.Equal(t, 1, b.Stats().Retained)
	require.Equal(t, 2, b.Stats().Sessions, "keeper and brief restored")
	r := b.dialRaw(t)
	require.True(t, r.connect(&packet.Connect{ClientID: "keeper", CleanStart: false}).SessionPresent)
	var queued []*packet.Publish
	for _, want := range []string{"one", "two", "kept"} {
		p := r.read().(*packet.Publish)
		require.Equal(t, want, string(p.Payload))
		queued = append(queued, p)
	}
	require.Equal(t, packet.QoS(2), queued[1].QoS)
	for _, p := range queued {
		if p.QoS == 2 {
			r.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
			require.Equal(t, &packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID}, r.read())
			r.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
		} else {
			r.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
		}
	}
	// The subscription came back too: a new message reaches the restored session.
	pub = b.connect(t, b.pahoOpts("pub"))
	wait(t, pub.Publish("k/3", 1, false, "three"))
	require.Equal(t, "three", string(r.read().(*packet.Publish).Payload))

	// "brief" had a three-second expiry when its client left; it expires after the restart
	// (keeper and the publisher stay).
	require.Eventually(t, func() bool { return b.Stats().Sessions == 2 }, waitTimeout, 10*time.Millisecond)
	r2 := b.dialRaw(t)
	require.False(t, r2.connect(&packet.Connect{Version: packet.V5, ClientID: "brief", CleanStart: false}).SessionPresent)
}

// When the store refuses a write (its disk limit is reached) the message is dropped for the
// offline session, counted and logged; the broker goes on serving.
func TestDiskFullDropsAreCountedAndLogged(t *testing.T) {
	logs := &mqtttest.Buffer{}
	opts := Options{Persistence: &store.Options{Dir: t.TempDir(), MaxBytes: 64 << 10, SegmentSize: 16 << 10},
		Logger: slog.New(slog.NewTextHandler(logs, nil)), MaxQueuedMessages: -1}
	b := startBroker(t, opts)
	subscriber(t, b.addr, "offline", "d", 1).leave()

	pub := b.connect(t, b.pahoOpts("pub"))
	payload := make([]byte, 1024)
	for i := 0; b.Stats().Dropped == 0; i++ {
		require.Less(t, i, 1000, "200 KB into a 64 KB store and nothing dropped")
		wait(t, pub.Publish("d", 1, false, payload))
	}
	require.Positive(t, b.persist.st.Stats().Refused)
	require.Contains(t, logs.String(), "persistence: store write refused")
	wait(t, pub.Publish("elsewhere", 1, false, fmt.Sprint("still serving")))
}
