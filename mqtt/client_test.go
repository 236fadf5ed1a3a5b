package mqtt

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// TestPubSub publishes and receives at every QoS with every protocol version.
func TestPubSub(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V31, V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				s := newSink()
				sub := dialTest(t, mqttURL(b), Options{ClientID: clientID("sub"), Version: v})
				pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("pub"), Version: v})
				res, err := sub.Subscribe(ctx, s.handle,
					Subscription{Filter: "pubsub/0", QoS: QoS0},
					Subscription{Filter: "pubsub/1", QoS: QoS1},
					Subscription{Filter: "pubsub/2", QoS: QoS2})
				require.NoError(t, err)
				require.Equal(t, []SubResult{{Filter: "pubsub/0", QoS: QoS0}, {Filter: "pubsub/1", QoS: QoS1}, {Filter: "pubsub/2", QoS: QoS2}}, res)
				for q := QoS0; q <= QoS2; q++ {
					topic := fmt.Sprintf("pubsub/%d", q)
					for i := range 3 {
						payload := fmt.Sprintf("%s #%d", q, i)
						require.NoError(t, pub.Publish(ctx, topic, []byte(payload), q))
						m := s.next(t)
						require.Equal(t, topic, m.Topic)
						require.Equal(t, payload, string(m.Payload))
						require.Equal(t, q, m.QoS)
						require.False(t, m.Retain)
					}
				}
				require.NoError(t, pub.Disconnect(ctx))
				require.ErrorIs(t, pub.Publish(ctx, "pubsub/0", nil), ErrClosed)
				require.ErrorIs(t, pub.Disconnect(ctx), ErrClosed)
			})
		}
	})
}

// TestRetained checks that a retained message reaches a later subscriber with the retain
// flag, and that an empty retained message clears it.
func TestRetained(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		ctx := testCtx(t)
		pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("pub")})
		require.NoError(t, pub.Publish(ctx, "retained/a", []byte("kept"), QoS1, Retain))

		s := newSink()
		sub := dialTest(t, mqttURL(b), Options{ClientID: clientID("sub")})
		_, err := sub.Subscribe(ctx, s.handle, Subscription{Filter: "retained/#", QoS: QoS1})
		require.NoError(t, err)
		m := s.next(t)
		require.Equal(t, "retained/a", m.Topic)
		require.Equal(t, "kept", string(m.Payload))
		require.True(t, m.Retain)

		// A live message is not flagged retained [MQTT-3.3.1-9].
		require.NoError(t, pub.Publish(ctx, "retained/a", []byte("live"), QoS1))
		m = s.next(t)
		require.Equal(t, "live", string(m.Payload))
		require.False(t, m.Retain)

		// An empty retained message clears the retained one [MQTT-3.3.1-10].
		require.NoError(t, pub.Publish(ctx, "retained/a", nil, QoS1, Retain))
		require.Equal(t, "", string(s.next(t).Payload))
		s2 := newSink()
		sub2 := dialTest(t, mqttURL(b), Options{ClientID: clientID("sub2")})
		_, err = sub2.Subscribe(ctx, s2.handle, Subscription{Filter: "retained/#"}, Subscription{Filter: "marker"})
		require.NoError(t, err)
		require.NoError(t, pub.Publish(ctx, "marker", nil, QoS1))
		require.Empty(t, s2.until(t, "marker"))
	})
}

// TestWill cuts a client's TCP connection without DISCONNECT and expects its will at another
// client; a client that disconnects properly publishes no will.
func TestWill(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				s := newSink()
				watcher := dialTest(t, mqttURL(b), Options{ClientID: clientID("watch"), Version: v})
				_, err := watcher.Subscribe(ctx, s.handle, Subscription{Filter: "will/#", QoS: QoS1})
				require.NoError(t, err)

				will := &Message{Topic: "will/dying", Payload: []byte("gone"), QoS: QoS1}
				if v == V5 {
					will.Properties = &Properties{ContentType: new("text/plain")}
				}
				kd := &mqtttest.Dialer{}
				dialTest(t, mqttURL(b), Options{ClientID: clientID("dying"), Version: v, Will: will, Dialer: kd, DisableReconnect: true})
				kd.Cut()
				m := s.next(t)
				require.Equal(t, "will/dying", m.Topic)
				require.Equal(t, "gone", string(m.Payload))
				if v == V5 {
					require.NotNil(t, m.Properties)
					require.Equal(t, "text/plain", *m.Properties.ContentType)
				}

				polite, err := Dial(ctx, mqttURL(b), Options{ClientID: clientID("polite"), Version: v,
					Will: &Message{Topic: "will/polite", Payload: []byte("should not")}})
				require.NoError(t, err)
				require.NoError(t, polite.Disconnect(ctx))
				require.NoError(t, watcher.Publish(ctx, "will/marker", nil, QoS1))
				require.Empty(t, s.until(t, "will/marker"))
			})
		}
	})
}

// TestV5Properties round-trips publish properties through the broker.
func TestV5Properties(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		ctx := testCtx(t)
		s := newSink()
		st := newStates()
		sub := dialTest(t, mqttURL(b), Options{ClientID: clientID("sub"), Version: V5, OnStateChange: st.record})
		connack := st.waitFor(t, StateConnected).Properties
		subIDs := connack == nil || connack.SubscriptionIDAvailable == nil || *connack.SubscriptionIDAvailable == 1
		pub := dialTest(t, mqttURL(b), Options{ClientID: clientID("pub"), Version: V5})
		_, err := sub.Subscribe(ctx, s.handle, Subscription{Filter: "props/#", QoS: QoS2})
		require.NoError(t, err)
		props := &Properties{
			ContentType:     new("application/json"),
			ResponseTopic:   new("props/reply"),
			CorrelationData: []byte{0xde, 0xad, 0xbe, 0xef},
			PayloadFormat:   new(byte(1)),
			MessageExpiry:   new(uint32(3600)),
			User:            []UserProperty{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}, {Key: "unit", Value: "°C"}},
		}
		for _, q := range []QoS{QoS0, QoS1, QoS2} {
			require.NoError(t, pub.Publish(ctx, "props/x", []byte(`{"t":21.5}`), q, WithProperties(props)))
			m := s.next(t)
			require.Equal(t, q, m.QoS)
			p := m.Properties
			require.NotNil(t, p)
			require.Equal(t, "application/json", *p.ContentType)
			require.Equal(t, "props/reply", *p.ResponseTopic)
			require.Equal(t, props.CorrelationData, p.CorrelationData)
			require.Equal(t, byte(1), *p.PayloadFormat)
			require.NotNil(t, p.MessageExpiry)
			require.LessOrEqual(t, *p.MessageExpiry, uint32(3600))
			require.Equal(t, props.User, p.User)
			if subIDs {
				require.Len(t, p.SubscriptionIDs, 1, "the client subscribes with an identifier")
			} else {
				require.Empty(t, p.SubscriptionIDs, "the server does not support identifiers")
			}
		}
	})
}

// TestRefusals checks that CONNACK, SUBACK and (MQTT 5) PUBACK refusals come back as errors
// carrying the server's code.
func TestRefusals(t *testing.T) {
	forEachBroker(t, brokerConfig{Users: map[string]string{"alice": "secret"}, DenyTopic: "secret/#"},
		func(t *testing.T, b testBroker) {
			ctx := testCtx(t)
			_, err := Dial(ctx, mqttURL(b), Options{ClientID: clientID("bad"), Username: "alice", Password: []byte("wrong")})
			require.ErrorIs(t, err, ErrRefused)
			// Mosquitto answers bad passwords with "not authorised" (5), SurgeMQ with "bad user
			// name or password" (4); either is a refusal the caller can tell apart.
			require.True(t, errors.Is(err, packet.ErrNotAuthorized) || errors.Is(err, packet.ErrBadCredentials), "%v", err)
			_, err = Dial(ctx, mqttURL(b), Options{ClientID: clientID("bad"), Version: V5, Username: "alice", Password: []byte("wrong")})
			require.ErrorIs(t, err, ErrRefused)
			var code packet.Code
			require.True(t, errors.As(err, &code))
			require.GreaterOrEqual(t, code.Value, byte(0x80))

			// Mosquitto grants subscriptions its ACL denies (it just sends nothing), so SUBACK
			// refusals are tested against a scripted server in TestScriptedServer.
			c := dialTest(t, "mqtt://alice:secret@"+b.Addr(), Options{ClientID: clientID("ok"), Version: V5})
			err = c.Publish(ctx, "secret/x", []byte("no"), QoS1)
			require.ErrorIs(t, err, ErrPublishRefused)
			require.ErrorIs(t, err, packet.ErrNotAuthorized)
			err = c.Publish(ctx, "secret/x", []byte("no"), QoS2)
			require.ErrorIs(t, err, ErrPublishRefused)
			// "No matching subscribers" (0x10) is a success.
			require.NoError(t, c.Publish(ctx, "open/nobody", []byte("x"), QoS1))
			require.NoError(t, c.Publish(ctx, "open/nobody", []byte("x"), QoS2))
			// The connection survived the refusals.
			s := newSink()
			_, err = c.Subscribe(ctx, s.handle, Subscription{Filter: "open/#", QoS: QoS1})
			require.NoError(t, err)
			require.NoError(t, c.Publish(ctx, "open/x", []byte("y"), QoS1))
			require.Equal(t, "y", string(s.next(t).Payload))
		})
}

// TestUnsubscribe checks that messages stop after Unsubscribe.
func TestUnsubscribe(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				s := newSink()
				c := dialTest(t, mqttURL(b), Options{ClientID: clientID("unsub"), Version: v})
				_, err := c.Subscribe(ctx, s.handle, Subscription{Filter: "un/a", QoS: QoS1}, Subscription{Filter: "un/marker", QoS: QoS1})
				require.NoError(t, err)
				require.NoError(t, c.Publish(ctx, "un/a", []byte("1"), QoS1))
				require.Equal(t, "1", string(s.next(t).Payload))
				require.NoError(t, c.Unsubscribe(ctx, "un/a"))
				require.NoError(t, c.Publish(ctx, "un/a", []byte("2"), QoS1))
				require.NoError(t, c.Publish(ctx, "un/marker", nil, QoS1))
				require.Empty(t, s.until(t, "un/marker"))
				if v == V5 {
					// No subscription existed (0x11) is not an error.
					require.NoError(t, c.Unsubscribe(ctx, "un/never"))
				}
				require.ErrorIs(t, c.Unsubscribe(ctx, "bad/#/x"), ErrBadTopic)
			})
		}
	})
}

// TestRouting checks that overlapping filters reach each of their handlers exactly once.
func TestRouting(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		for _, v := range []Version{V311, V5} {
			t.Run("v"+v.String(), func(t *testing.T) {
				ctx := testCtx(t)
				all, exact, plus, other := newSink(), newSink(), newSink(), newSink()
				c := dialTest(t, mqttURL(b), Options{ClientID: clientID("route"), Version: v, DefaultHandler: other.handle})
				_, err := c.Subscribe(ctx, all.handle, Subscription{Filter: "r/#", QoS: QoS1})
				require.NoError(t, err)
				_, err = c.Subscribe(ctx, exact.handle, Subscription{Filter: "r/a/b", QoS: QoS1})
				require.NoError(t, err)
				_, err = c.Subscribe(ctx, plus.handle, Subscription{Filter: "r/+/b", QoS: QoS1}, Subscription{Filter: "marker", QoS: QoS1})
				require.NoError(t, err)
				for _, topic := range []string{"r/a/b", "r/x/b", "r/a/c", "r"} {
					require.NoError(t, c.Publish(ctx, topic, []byte(topic), QoS1))
				}
				require.NoError(t, c.Publish(ctx, "marker", nil, QoS1))
				topics := func(ms []*Message) []string {
					var out []string
					for _, m := range ms {
						out = append(out, m.Topic)
					}
					return out
				}
				// Handlers run one message at a time, in order: once the marker reached plus,
				// every earlier message has been through every handler.
				require.Equal(t, []string{"r/a/b", "r/x/b"}, topics(plus.until(t, "marker")))
				require.Equal(t, []string{"r/a/b", "r/x/b", "r/a/c", "r"}, topics(all.drain()))
				require.Equal(t, []string{"r/a/b"}, topics(exact.drain()))
				require.Empty(t, other.drain())
			})
		}
	})
}

// TestBadArguments checks that Dial rejects bad URLs and options.
func TestBadArguments(t *testing.T) {
	ctx := context.Background()
	_, err := Dial(ctx, "http://127.0.0.1:1", Options{})
	require.ErrorIs(t, err, ErrBadURL)
	_, err = Dial(ctx, "mqtt://127.0.0.1:1", Options{Version: 7})
	require.ErrorIs(t, err, ErrBadOptions)
	_, err = Dial(ctx, "mqtt://127.0.0.1:1", Options{KeepSession: true})
	require.ErrorIs(t, err, ErrBadOptions)
	_, err = Dial(ctx, "mqtt://127.0.0.1:1", Options{Will: &Message{Topic: "a/+"}})
	require.ErrorIs(t, err, ErrBadTopic)
}

// TestConcurrentUse: one client used by many goroutines at once, each subscribing,
// publishing at every QoS, receiving its own messages and unsubscribing (run with -race).
func TestConcurrentUse(t *testing.T) {
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		ctx := testCtx(t)
		c := dialTest(t, mqttURL(b), Options{ClientID: clientID("concurrent")})
		const workers, rounds = 8, 10
		errs := make(chan error, workers)
		for w := range workers {
			go func() {
				errs <- func() error {
					for r := range rounds {
						filter := fmt.Sprintf("conc/%d/%d", w, r)
						got := make(chan string, 3)
						if _, err := c.Subscribe(ctx, func(m *Message) { got <- string(m.Payload) },
							Subscription{Filter: filter, QoS: QoS2}); err != nil {
							return fmt.Errorf("subscribe: %w", err)
						}
						for q := range QoS(3) {
							if err := c.Publish(ctx, filter, []byte{byte('0' + q)}, q); err != nil {
								return fmt.Errorf("publish: %w", err)
							}
						}
						seen := map[string]bool{}
						for len(seen) < 3 {
							select {
							case p := <-got:
								seen[p] = true
							case <-ctx.Done():
								return fmt.Errorf("%s: got %v of 0, 1, 2", filter, seen)
							}
						}
						if err := c.Unsubscribe(ctx, filter); err != nil {
							return fmt.Errorf("unsubscribe: %w", err)
						}
					}
					return nil
				}()
			}()
		}
		for range workers {
			require.NoError(t, <-errs)
		}
	})
}
