package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/pingmq"
)

func TestMonitorStateStatusAndWill(t *testing.T) {
	s, addr := startBroker(t)
	status := watch(t, s, "surgemq/status")
	pings := watch(t, s, "surgemq/ping/#")
	legacy := watch(t, s, "/ping/#")
	d := &mqtttest.Dialer{}

	mon := start(t, env{pinger: answering, dialer: d}, "monitor", "-b", "mqtt://"+addr, "-p", "127.0.0.1",
		"-i", "1h", "-id", "pingmq-test", "-legacy", "-homeassistant")

	// The JSON state, the state word, the retained "online" status.
	states := pings.waitPayloads(t, "surgemq/ping/127.0.0.1/state", "online")
	require.Len(t, states, 1)
	var st pingmq.State
	require.NoError(t, json.Unmarshal([]byte(retained(t, s, "surgemq/ping/127.0.0.1")), &st))
	require.Equal(t, "online", st.State)
	require.Equal(t, 3, st.Sent)
	require.Equal(t, 3, st.Recv)
	require.Equal(t, "127.0.0.1", st.IP)
	require.Equal(t, "online", retained(t, s, "surgemq/status"))
	status.waitPayloads(t, "surgemq/status", "online")

	// -legacy: the old topics too; -homeassistant: a discovery config whose availability is
	// the status topic.
	require.Len(t, legacy.waitPayloads(t, "/ping/success/127.0.0.1",
		"16 bytes from 127.0.0.1: seq=1 ttl=64 tos=0 time=0.10ms",
		"16 bytes from 127.0.0.1: seq=2 ttl=64 tos=0 time=0.10ms",
		"16 bytes from 127.0.0.1: seq=3 ttl=64 tos=0 time=0.10ms"), 3)
	var disc map[string]any
	require.NoError(t, json.Unmarshal([]byte(retained(t, s, "homeassistant/binary_sensor/surgemq_ping_127_0_0_1/config")), &disc))
	require.Contains(t, disc, "availability_topic")
	require.Equal(t, "surgemq/status", disc["availability_topic"])

	// The connection is cut: the broker publishes the will ("offline"), the monitor
	// reconnects and says "online" again.
	d.Cut()
	status.waitPayloads(t, "surgemq/status", "online", "offline", "online")
	require.Equal(t, "online", retained(t, s, "surgemq/status"))
	mon.stderr.WaitMatch(t, `msg="connection lost; reconnecting"`)
	mon.stderr.WaitMatch(t, `msg=reconnected`)

	// A clean stop leaves the retained status "offline".
	require.Equal(t, exitOK, mon.stop(t), mon.stderr)
	require.Equal(t, "offline", retained(t, s, "surgemq/status"))
	require.NotContains(t, mon.stderr.String(), "level=ERROR")
}

// A monitor started before its broker waits for it.
func TestMonitorWaitsForBroker(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	mon := start(t, env{pinger: answering}, "monitor", "-b", addr, "-p", "127.0.0.1", "-prefix", "lab")
	mon.stderr.WaitMatch(t, `msg="cannot reach the broker; retrying"`)

	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	s := serveOn(t, l, broker.Options{})
	mon.stderr.WaitMatch(t, `msg=connected`)
	require.Eventually(t, func() bool { return s.Stats().Retained >= 3 }, wait, 5*time.Millisecond,
		"state, state word and status retained")
	require.Equal(t, "online", retained(t, s, "lab/status"))
	require.Equal(t, "online", retained(t, s, "lab/ping/127.0.0.1/state"))
	require.Equal(t, exitOK, mon.stop(t))
	require.Equal(t, "offline", retained(t, s, "lab/status"))
}

// Without an ICMP socket the monitor logs pingmq's fix once, says "offline" and exits 1.
func TestMonitorWithoutICMPExits1(t *testing.T) {
	needNoPingSocket(t)
	s, addr := startBroker(t)
	code, _, errs := runCmd(t, env{}, "monitor", "-b", addr, "-p", "127.0.0.1", "-mode", "unprivileged")
	require.Equal(t, exitError, code)
	require.Equal(t, 1, strings.Count(errs, "level=ERROR"), errs)
	require.Contains(t, errs, "cannot open an ICMP socket")
	require.Contains(t, errs, "ping_group_range")
	require.Equal(t, "offline", retained(t, s, "surgemq/status"))
}

// refuseAll refuses every connection.
type refuseAll struct{}

func (refuseAll) Authenticate(broker.ClientInfo, string, []byte) error {
	return packet.ErrBadCredentials
}

// A broker that refuses the connection is final: exit 1 with the reason.
func TestMonitorRefused(t *testing.T) {
	_, addr := startBrokerWith(t, broker.Options{Authenticator: refuseAll{}})
	code, _, errs := runCmd(t, env{pinger: answering}, "monitor", "-b", addr, "-p", "127.0.0.1", "-u", "u", "-P", "wrong")
	require.Equal(t, exitError, code, errs)
	require.Regexp(t, `level=ERROR msg="cannot connect".*refused`, errs)
	require.NotContains(t, errs, "retrying")
}

// pingmq monitor publishes into any broker: here Debian's Mosquitto, read by a plain client.
// A clean stop leaves the retained status "offline" there too.
func TestMonitorIntoMosquitto(t *testing.T) {
	m := mqtttest.StartMosquitto(t, mqtttest.MosquittoConfig{})
	url := "mqtt://" + m.Addr()
	mon := start(t, env{pinger: answering}, "monitor", "-b", url, "-p", "127.0.0.1", "-id", "pingmq-mosq")

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	got := make(chan mqtt.Message, 16)
	c, err := mqtt.Dial(ctx, url, mqtt.Options{ClientID: "laptop"})
	require.NoError(t, err)
	defer c.Disconnect(context.Background())
	_, err = c.Subscribe(ctx, func(msg *mqtt.Message) { got <- *msg },
		mqtt.Subscription{Filter: "surgemq/status", QoS: mqtt.QoS1},
		mqtt.Subscription{Filter: "surgemq/ping/127.0.0.1/state", QoS: mqtt.QoS1})
	require.NoError(t, err)
	want := map[string]string{"surgemq/status": "online", "surgemq/ping/127.0.0.1/state": "online"}
	for len(want) > 0 {
		select {
		case msg := <-got:
			if want[msg.Topic] == string(msg.Payload) {
				delete(want, msg.Topic)
			}
		case <-ctx.Done():
			t.Fatalf("never got %v from the monitor through mosquitto; its log:\n%s", want, mon.stderr)
		}
	}

	require.Equal(t, exitOK, mon.stop(t), mon.stderr)
	for {
		select {
		case msg := <-got:
			if msg.Topic == "surgemq/status" && string(msg.Payload) == "offline" {
				return
			}
		case <-ctx.Done():
			t.Fatal("no offline status after a clean stop")
		}
	}
}
