package broker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Retained messages are stored, replaced, cleared by an empty payload, and sent with the retain
// flag to new subscriptions only [MQTT-3.3.1-5..11].
func TestRetained(t *testing.T) {
	b := startBroker(t, Options{})
	pub := b.connect(t, b.pahoOpts("pub"))
	wait(t, pub.Publish("r/a", 1, true, "first"))
	wait(t, pub.Publish("r/a", 1, true, "second")) // replaces
	wait(t, pub.Publish("r/b", 2, true, "b"))
	wait(t, pub.Publish("r/c", 1, true, "c"))
	wait(t, pub.Publish("r/c", 1, true, "")) // clears
	require.Equal(t, 2, b.Stats().Retained)

	in := newInbox()
	sub := b.connect(t, b.pahoOpts("sub"))
	subscribe(t, sub, "r/+", 1, in)
	got := map[string]string{}
	for range 2 {
		m := in.next(t)
		require.True(t, m.Retained(), "retain flag set for a new subscription")
		require.Equal(t, byte(1), m.Qos(), "min(stored QoS, granted)")
		got[m.Topic()] = string(m.Payload())
	}
	require.Equal(t, map[string]string{"r/a": "second", "r/b": "b"}, got)

	wait(t, pub.Publish("r/a", 1, true, "live"))
	m := in.next(t)
	require.Equal(t, "live", string(m.Payload()))
	require.False(t, m.Retained(), "retain flag cleared for an established subscription [MQTT-3.3.1-9]")
	in.none(t)
}
