package pingmq

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHomeAssistantDiscovery(t *testing.T) {
	s := newScripted()
	cfg := testConfig("10.0.0.1", "gw.lan")
	cfg.HomeAssistant = true
	_, c := start(t, cfg, s.ping)

	// Announced before any host is pinged.
	require.True(t, c.Wait(wait, func() bool { return len(c.Matching("homeassistant/#")) == 6 }))
	require.Empty(t, c.Matching("surgemq/ping/#"))
	require.True(t, c.Subscribed("homeassistant/status"))

	bin, ok := c.Retained("homeassistant/binary_sensor/surgemq_ping_10_0_0_1/config")
	require.True(t, ok)
	require.JSONEq(t, `{
		"name":"Connectivity","unique_id":"surgemq_ping_10_0_0_1_connectivity","object_id":"surgemq_ping_10_0_0_1",
		"state_topic":"surgemq/ping/10.0.0.1","value_template":"{{ value_json.state }}",
		"json_attributes_topic":"surgemq/ping/10.0.0.1",
		"device_class":"connectivity","payload_on":"online","payload_off":"offline",
		"availability_topic":"surgemq/status","payload_available":"online","payload_not_available":"offline",
		"device":{"identifiers":["surgemq_ping_10_0_0_1"],"name":"10.0.0.1","manufacturer":"SurgeMQ","model":"pingmq ICMP monitor"}
	}`, string(bin.Payload))
	rtt, ok := c.Retained("homeassistant/sensor/surgemq_ping_gw_lan_rtt/config")
	require.True(t, ok)
	require.JSONEq(t, `{
		"name":"Round-trip time","unique_id":"surgemq_ping_gw_lan_rtt","object_id":"surgemq_ping_gw_lan_rtt",
		"state_topic":"surgemq/ping/gw.lan","value_template":"{{ value_json.rtt_ms }}",
		"device_class":"duration","state_class":"measurement","unit_of_measurement":"ms",
		"availability_topic":"surgemq/status","payload_available":"online","payload_not_available":"offline",
		"device":{"identifiers":["surgemq_ping_gw_lan"],"name":"gw.lan","manufacturer":"SurgeMQ","model":"pingmq ICMP monitor"}
	}`, string(rtt.Payload))
	loss, ok := c.Retained("homeassistant/sensor/surgemq_ping_gw_lan_loss/config")
	require.True(t, ok)
	require.Contains(t, string(loss.Payload), `"value_template":"{{ value_json.loss_pct }}"`)
	require.Contains(t, string(loss.Payload), `"unit_of_measurement":"%"`)

	// Home Assistant restarts: everything is announced again; "offline" announces nothing.
	require.Equal(t, 1, c.Inject("homeassistant/status", []byte("offline"), false))
	require.True(t, c.Wait(wait, c.Idle))
	require.Len(t, c.Matching("homeassistant/+/+/config"), 6)
	require.Equal(t, 1, c.Inject("homeassistant/status", []byte("online"), false))
	require.True(t, c.Wait(wait, func() bool { return len(c.Matching("homeassistant/+/+/config")) == 12 }))
	for _, m := range c.Matching("homeassistant/+/+/config") {
		require.True(t, m.Retain, m.Topic)
	}
}

func TestHomeAssistantCustomTopics(t *testing.T) {
	s := newScripted()
	cfg := testConfig("10.0.0.1")
	cfg.HomeAssistant = true
	cfg.Prefix = "site1/gw"
	cfg.DiscoveryPrefix = "ha"
	cfg.AvailabilityTopic = "site1/gw/bridge/state"
	_, c := start(t, cfg, s.ping)
	require.True(t, c.Wait(wait, func() bool { return len(c.Matching("ha/#")) == 3 }))
	m, ok := c.Retained("ha/binary_sensor/site1_gw_ping_10_0_0_1/config")
	require.True(t, ok)
	require.Contains(t, string(m.Payload), `"state_topic":"site1/gw/ping/10.0.0.1"`)
	require.Contains(t, string(m.Payload), `"availability_topic":"site1/gw/bridge/state"`)
	require.True(t, c.Subscribed("ha/status"))
	s.send(t, "10.0.0.1", up("10.0.0.1"))
	require.True(t, c.Wait(wait, func() bool { return c.RetainedPayload("site1/gw/ping/10.0.0.1/state") == "online" }))
}
