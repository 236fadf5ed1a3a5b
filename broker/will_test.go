package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func willConnect(id string, qos packet.QoS, retain bool) *packet.Connect {
	return &packet.Connect{ClientID: id, CleanStart: true, KeepAlive: 60,
		Will: &packet.Will{Topic: "will/" + id, Payload: []byte("died:" + id), QoS: qos, Retain: retain}}
}

// The will is published on every abnormal end and never after DISCONNECT [MQTT-3.1.2-8]
// [MQTT-3.1.2-10]; its QoS and retain flag are honoured.
func TestWill(t *testing.T) {
	b := startBroker(t, Options{})
	in := newInbox()
	watcher := b.connect(t, b.pahoOpts("watcher"))
	subscribe(t, watcher, "will/#", 2, in)

	t.Run("network error", func(t *testing.T) {
		r := b.dialRaw(t)
		r.connect(willConnect("neterr", 1, false))
		r.nc.Close()
		m := in.next(t)
		require.Equal(t, "will/neterr", m.Topic())
		require.Equal(t, "died:neterr", string(m.Payload()))
		require.Equal(t, byte(1), m.Qos())
	})
	t.Run("protocol error", func(t *testing.T) {
		r := b.dialRaw(t)
		r.connect(willConnect("proto", 2, false))
		r.send(&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, ClientID: "again"}) // [MQTT-3.1.0-2]
		r.expectClosed()
		m := in.next(t)
		require.Equal(t, "will/proto", m.Topic())
		require.Equal(t, byte(2), m.Qos())
	})
	t.Run("keepalive timeout", func(t *testing.T) {
		r := b.dialRaw(t)
		c := willConnect("keepalive", 0, false)
		c.KeepAlive = 1 // closed after 1.5 s of silence [MQTT-3.1.2-24]
		r.connect(c)
		// Traffic resets the timer: a ping after 1 s keeps the connection another 1.5 s.
		<-time.After(time.Second) // the scenario needs silence: wall-clock time must pass
		pinged := time.Now()      // before the broker sees the ping and resets its timer
		r.send(&packet.Pingreq{})
		require.Equal(t, &packet.Pingresp{}, r.read())
		r.expectClosed()
		require.GreaterOrEqual(t, time.Since(pinged), 1500*time.Millisecond, "not before 1.5 × keepalive")
		require.Equal(t, "will/keepalive", in.next(t).Topic())
	})
	t.Run("disconnect", func(t *testing.T) {
		r := b.dialRaw(t)
		r.connect(willConnect("clean", 1, false))
		r.send(&packet.Disconnect{})
		r.expectClosed()
		wait(t, watcher.Publish("will/marker", 1, false, "marker"))
		require.Equal(t, "will/marker", in.next(t).Topic(), "no will after DISCONNECT")
	})
	t.Run("retained", func(t *testing.T) {
		r := b.dialRaw(t)
		r.connect(willConnect("retained", 1, true))
		r.nc.Close()
		require.Equal(t, "will/retained", in.next(t).Topic())
		late := newInbox()
		c := b.connect(t, b.pahoOpts("late"))
		subscribe(t, c, "will/retained", 1, late)
		m := late.next(t)
		require.True(t, m.Retained())
		require.Equal(t, "died:retained", string(m.Payload()))
	})
}
