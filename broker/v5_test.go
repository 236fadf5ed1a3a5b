package broker

import (
	"context"
	"net"
	"testing"

	pahov5 "github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
)

// paho.golang, an independent MQTT 5.0 client, connects, subscribes and exchanges messages
// at QoS 0, 1 and 2 with properties passed through.
func TestPahoV5Basic(t *testing.T) {
	b := startBroker(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	got := make(chan *pahov5.Publish, 10)
	nc, err := net.Dial("tcp", b.addr)
	require.NoError(t, err)
	c := pahov5.NewClient(pahov5.ClientConfig{
		Conn: nc,
		OnPublishReceived: []func(pahov5.PublishReceived) (bool, error){
			func(pr pahov5.PublishReceived) (bool, error) { got <- pr.Packet; return true, nil },
		},
	})
	ack, err := c.Connect(ctx, &pahov5.Connect{ClientID: "v5", CleanStart: true, KeepAlive: 30})
	require.NoError(t, err)
	require.Equal(t, byte(0), ack.ReasonCode)
	t.Cleanup(func() { c.Disconnect(&pahov5.Disconnect{}) })

	sa, err := c.Subscribe(ctx, &pahov5.Subscribe{Subscriptions: []pahov5.SubscribeOptions{{Topic: "v5/#", QoS: 2}}})
	require.NoError(t, err)
	require.Equal(t, []byte{2}, sa.Reasons)

	for q := byte(0); q <= 2; q++ {
		_, err := c.Publish(ctx, &pahov5.Publish{Topic: "v5/x", QoS: q, Payload: []byte{'0' + q},
			Properties: &pahov5.PublishProperties{ContentType: "text/plain", User: pahov5.UserProperties{{Key: "k", Value: "v"}}}})
		require.NoError(t, err)
		select {
		case p := <-got:
			require.Equal(t, []byte{'0' + q}, p.Payload)
			require.Equal(t, q, p.QoS)
			require.Equal(t, "text/plain", p.Properties.ContentType)
			require.Equal(t, "v", p.Properties.User.Get("k"))
		case <-ctx.Done():
			t.Fatal("no message")
		}
	}

	ua, err := c.Unsubscribe(ctx, &pahov5.Unsubscribe{Topics: []string{"v5/#", "never"}})
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0x11}, ua.Reasons, "success, no subscription existed")
}
