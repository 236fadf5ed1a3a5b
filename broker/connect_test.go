package broker

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func TestConnectVersions(t *testing.T) {
	b := startBroker(t, Options{})
	for _, v := range []packet.Version{packet.V31, packet.V311, packet.V5} {
		r := b.dialRaw(t)
		ack := r.connect(&packet.Connect{Version: v, ClientID: "v" + v.String(), CleanStart: true})
		require.Equal(t, byte(0), ack.ReasonCode, v.String())
		r.send(&packet.Pingreq{})
		require.Equal(t, &packet.Pingresp{}, r.read())
	}
}

// An empty client id is assigned with clean session and refused without it [MQTT-3.1.3-8];
// 3.1 requires one.
func TestEmptyClientID(t *testing.T) {
	b := startBroker(t, Options{})
	r := b.dialRaw(t)
	require.Equal(t, packet.ConnAccepted, r.connect(&packet.Connect{CleanStart: true}).ReasonCode)

	r = b.dialRaw(t)
	require.Equal(t, packet.ConnRefusedIdentifier, r.connect(&packet.Connect{CleanStart: false}).ReasonCode)
	r.expectClosed()

	r = b.dialRaw(t)
	require.Equal(t, packet.ConnRefusedIdentifier, r.connect(&packet.Connect{Version: packet.V31, CleanStart: true}).ReasonCode)
	r.expectClosed()

	r = b.dialRaw(t)
	ack := r.connect(&packet.Connect{Version: packet.V5, CleanStart: true})
	require.Equal(t, byte(0), ack.ReasonCode)
	require.NotNil(t, ack.Properties)
	require.NotEmpty(t, *ack.Properties.AssignedClientID)

	// With paho, as a user would do it.
	c := b.connect(t, b.pahoOpts("").SetCleanSession(true))
	require.True(t, c.IsConnected())
}

// An unsupported protocol level gets CONNACK 0x01 [MQTT-3.1.2-2].
func TestUnsupportedVersion(t *testing.T) {
	b := startBroker(t, Options{})
	r := b.dialRaw(t)
	// CONNECT "MQTT" level 9, clean session, keepalive 60, client id "x".
	r.sendBytes([]byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 9, 0x02, 0, 60, 0, 1, 'x'})
	got := r.expectClosed()
	require.Equal(t, []packet.Packet{&packet.Connack{ReasonCode: packet.ConnRefusedVersion}}, got)
}

// A connection that sends no CONNECT is closed after ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	b := startBroker(t, Options{ConnectTimeout: 200 * time.Millisecond})
	r := b.dialRaw(t)
	start := time.Now()
	require.Empty(t, r.expectClosed())
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

type credentials map[string]string

func (c credentials) Authenticate(ci ClientInfo, user string, pass []byte) error {
	if want, ok := c[user]; ok && want == string(pass) {
		return nil
	}
	return fmt.Errorf("user %q: %w", user, packet.ErrBadCredentials)
}

func TestAuthenticate(t *testing.T) {
	b := startBroker(t, Options{Authenticator: credentials{"alice": "secret"}})
	c := b.connect(t, b.pahoOpts("alice").SetUsername("alice").SetPassword("secret"))
	require.True(t, c.IsConnected())

	bad := paho.NewClient(b.pahoOpts("mallory").SetUsername("alice").SetPassword("guess"))
	tok := bad.Connect()
	require.True(t, tok.WaitTimeout(waitTimeout))
	require.Error(t, tok.Error())

	r := b.dialRaw(t)
	r.send(&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, ClientID: "m", UsernameFlag: true, Username: "bob", PasswordFlag: true, Password: []byte("x")})
	require.Equal(t, []packet.Packet{&packet.Connack{ReasonCode: packet.ConnRefusedBadCredentials}}, r.expectClosed())
}

func TestMaxConnections(t *testing.T) {
	b := startBroker(t, Options{MaxConnections: 2})
	b.dialRaw(t).connect(&packet.Connect{ClientID: "1", CleanStart: true})
	b.dialRaw(t).connect(&packet.Connect{ClientID: "2", CleanStart: true})
	r := b.dialRaw(t)
	r.send(&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, ClientID: "3", CleanStart: true})
	require.Equal(t, []packet.Packet{&packet.Connack{ReasonCode: packet.ConnRefusedUnavailable}}, r.expectClosed())
}

type acl struct{}

func (acl) CanSubscribe(c ClientInfo, filter string) bool { return filter != "secret/#" }
func (acl) CanPublish(c ClientInfo, topic string) bool    { return topic != "readonly" }

// The Authorizer refuses a SUBSCRIBE filter (SUBACK 0x80) and drops a refused PUBLISH.
func TestAuthorize(t *testing.T) {
	b := startBroker(t, Options{Authorizer: acl{}})
	r := b.dialRaw(t)
	r.connect(&packet.Connect{ClientID: "acl", CleanStart: true})
	r.send(&packet.Subscribe{PacketID: 3, Subscriptions: []packet.Subscription{{Filter: "secret/#", QoS: 1}, {Filter: "readonly", QoS: 1}, {Filter: "ok", QoS: 2}}})
	require.Equal(t, &packet.Suback{PacketID: 3, ReasonCodes: []byte{packet.SubackFailure, 1, 2}}, r.read())
	r.send(&packet.Publish{QoS: 1, PacketID: 4, Topic: "readonly", Payload: []byte("x")})
	require.Equal(t, &packet.Ack{Kind: packet.PUBACK, PacketID: 4}, r.read(), "acknowledged but dropped")
	r.send(&packet.Publish{QoS: 0, Topic: "ok", Payload: []byte("y")})
	p := r.read().(*packet.Publish)
	require.Equal(t, "ok", p.Topic, "the refused publish was not delivered")
}
