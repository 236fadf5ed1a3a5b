package packet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
)

// startMosquitto runs a private Mosquitto on a free 127.0.0.1 port for the test and returns
// its address; the test is skipped where Mosquitto is not installed.
func startMosquitto(t *testing.T) string {
	return mqtttest.StartMosquitto(t, mqtttest.MosquittoConfig{}).Addr()
}

// wireClient speaks MQTT over one TCP connection using only this package.
type wireClient struct {
	t    *testing.T
	conn net.Conn
	r    *Reader
	v    Version
	buf  []byte
}

func dialWire(t *testing.T, addr string, v Version) *wireClient {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	return &wireClient{t: t, conn: conn, r: NewReader(bufio.NewReader(conn), v, 1<<20), v: v}
}

func (c *wireClient) send(p Packet) {
	c.t.Helper()
	var err error
	c.buf, err = p.Encode(c.buf[:0], c.v)
	require.NoError(c.t, err, "%v", p)
	_, err = c.conn.Write(c.buf)
	require.NoError(c.t, err)
}

func (c *wireClient) recv() Packet {
	c.t.Helper()
	p, err := c.r.Read()
	require.NoError(c.t, err)
	return p
}

// TestAgainstMosquitto runs a whole session at every version against a real broker: connect,
// subscribe, publish at each QoS with the full acknowledgement flows both ways, 5.0 properties
// and topic aliases, ping, unsubscribe, disconnect.
func TestAgainstMosquitto(t *testing.T) {
	addr := startMosquitto(t)
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			v5 := v == V5
			c := dialWire(t, addr, v)
			prefix := "surgemq/codec/" + v.String()

			c.send(&Connect{Version: v, CleanStart: true, KeepAlive: 30, ClientID: "codec-" + v.String()})
			ack, ok := c.recv().(*Connack)
			require.True(t, ok)
			require.Equal(t, ConnAccepted, ack.ReasonCode)

			sub := &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: prefix + "/#", QoS: QoS2}}}
			if v5 {
				sub.Properties = &Properties{SubscriptionIDs: []uint32{42}}
			}
			c.send(sub)
			suback, ok := c.recv().(*Suback)
			require.True(t, ok)
			require.Equal(t, &Suback{PacketID: 1, ReasonCodes: []byte{CodeGrantedQoS2}}, suback)

			sent := map[string]*Publish{}
			for q := QoS0; q <= QoS2; q++ {
				p := &Publish{QoS: q, Topic: fmt.Sprintf("%s/q%d", prefix, q), Payload: fmt.Appendf(nil, "payload %d", q)}
				if q > QoS0 {
					p.PacketID = 10 + uint16(q)
				}
				if v5 {
					p.Properties = &Properties{ContentType: new("text/plain"), User: []UserProperty{{"k", "v"}}}
				}
				sent[p.Topic] = p
				c.send(p)
			}
			if v5 { // a topic alias, then the alias alone with an empty topic
				alias := prefix + "/alias"
				c.send(&Publish{Topic: alias, Payload: []byte("first"), Properties: &Properties{TopicAlias: new(uint16(1))}})
				c.send(&Publish{Payload: []byte("second"), Properties: &Properties{TopicAlias: new(uint16(1))}})
			}

			got := map[string][]*Publish{}
			var puback, pubcomp, incomingDone bool
			done := func() bool {
				if v5 && len(got[prefix+"/alias"]) < 2 {
					return false
				}
				return len(got) >= len(sent) && puback && pubcomp && incomingDone
			}
			for !done() {
				switch p := c.recv().(type) {
				case *Publish:
					got[p.Topic] = append(got[p.Topic], p)
					switch p.QoS {
					case QoS1:
						c.send(&Ack{Kind: PUBACK, PacketID: p.PacketID})
					case QoS2:
						c.send(&Ack{Kind: PUBREC, PacketID: p.PacketID})
					}
				case *Ack:
					switch p.Kind {
					case PUBACK:
						require.Equal(t, uint16(11), p.PacketID)
						puback = true
					case PUBREC:
						require.Equal(t, uint16(12), p.PacketID)
						c.send(&Ack{Kind: PUBREL, PacketID: 12})
					case PUBCOMP:
						require.Equal(t, uint16(12), p.PacketID)
						pubcomp = true
					case PUBREL:
						c.send(&Ack{Kind: PUBCOMP, PacketID: p.PacketID})
						incomingDone = true
					}
				default:
					t.Fatalf("unexpected %v", p)
				}
			}
			for topic, want := range sent {
				require.Len(t, got[topic], 1, topic)
				p := got[topic][0]
				require.Equal(t, want.QoS, p.QoS)
				require.Equal(t, want.Payload, p.Payload)
				if v5 {
					require.Equal(t, "text/plain", *p.Properties.ContentType)
					require.Equal(t, []UserProperty{{"k", "v"}}, p.Properties.User)
					require.Equal(t, []uint32{42}, p.Properties.SubscriptionIDs)
				} else {
					require.Nil(t, p.Properties)
				}
			}
			if v5 {
				alias := got[prefix+"/alias"]
				require.Len(t, alias, 2)
				require.Equal(t, "first", string(alias[0].Payload))
				require.Equal(t, "second", string(alias[1].Payload))
			}

			c.send(&Pingreq{})
			require.Equal(t, &Pingresp{}, c.recv())

			c.send(&Unsubscribe{PacketID: 2, Filters: []string{prefix + "/#"}})
			unsuback := &Unsuback{PacketID: 2}
			if v5 {
				unsuback.ReasonCodes = []byte{CodeSuccess}
			}
			require.Equal(t, unsuback, c.recv())

			c.send(&Disconnect{})
			_, err := c.r.Read()
			require.True(t, errors.Is(err, io.EOF), "the broker closes after DISCONNECT: %v", err)
		})
	}
}
