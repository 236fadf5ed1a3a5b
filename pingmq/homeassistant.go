package pingmq

import (
	"encoding/json"
)

// haDevice is the "device" block of a discovery config: one device per host.
type haDevice struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model"`
}

// haConfig is a Home Assistant MQTT discovery config for a binary_sensor or a sensor.
type haConfig struct {
	Name                string   `json:"name"`
	UniqueID            string   `json:"unique_id"`
	ObjectID            string   `json:"object_id"`
	StateTopic          string   `json:"state_topic"`
	ValueTemplate       string   `json:"value_template"`
	JSONAttributesTopic string   `json:"json_attributes_topic,omitempty"`
	DeviceClass         string   `json:"device_class,omitempty"`
	StateClass          string   `json:"state_class,omitempty"`
	UnitOfMeasurement   string   `json:"unit_of_measurement,omitempty"`
	PayloadOn           string   `json:"payload_on,omitempty"`
	PayloadOff          string   `json:"payload_off,omitempty"`
	AvailabilityTopic   string   `json:"availability_topic"`
	PayloadAvailable    string   `json:"payload_available"`
	PayloadNotAvailable string   `json:"payload_not_available"`
	Device              haDevice `json:"device"`
}

// haEntity is one discovery message: its retained config topic and payload.
type haEntity struct {
	topic   string
	payload []byte
}

// discovery returns the three discovery messages for h:
//
//	<discovery_prefix>/binary_sensor/<id>/config      connectivity, on = "online"
//	<discovery_prefix>/sensor/<id>_rtt/config         average RTT, ms
//	<discovery_prefix>/sensor/<id>_loss/config        packet loss, %
//
// where <id> is "<prefix>_ping_<host>" reduced to [a-zA-Z0-9_-] (surgemq_ping_10_0_0_1).
// Each reads the retained JSON state topic through a value_template, and all three belong to
// one device per host.
func (m *Monitor) discovery(h *hostState) []haEntity {
	avail := m.cfg.AvailabilityTopic
	if avail == "" {
		avail = m.cfg.Prefix + "/status"
	}
	dev := haDevice{
		Identifiers:  []string{h.objectID},
		Name:         h.name,
		Manufacturer: "SurgeMQ",
		Model:        "pingmq ICMP monitor",
	}
	base := haConfig{
		StateTopic:          h.topic,
		JSONAttributesTopic: h.topic,
		AvailabilityTopic:   avail,
		PayloadAvailable:    "online",
		PayloadNotAvailable: "offline",
		Device:              dev,
	}
	conn := base
	conn.Name = "Connectivity"
	conn.UniqueID = h.objectID + "_connectivity"
	conn.ObjectID = h.objectID
	conn.ValueTemplate = "{{ value_json.state }}"
	conn.DeviceClass = "connectivity"
	conn.PayloadOn = Online
	conn.PayloadOff = Offline

	rtt := base
	rtt.JSONAttributesTopic = ""
	rtt.Name = "Round-trip time"
	rtt.UniqueID = h.objectID + "_rtt"
	rtt.ObjectID = h.objectID + "_rtt"
	rtt.ValueTemplate = "{{ value_json.rtt_ms }}" // null renders None: state unknown
	rtt.DeviceClass = "duration"
	rtt.StateClass = "measurement"
	rtt.UnitOfMeasurement = "ms"

	loss := base
	loss.JSONAttributesTopic = ""
	loss.Name = "Packet loss"
	loss.UniqueID = h.objectID + "_loss"
	loss.ObjectID = h.objectID + "_loss"
	loss.ValueTemplate = "{{ value_json.loss_pct }}"
	loss.StateClass = "measurement"
	loss.UnitOfMeasurement = "%"

	dp := m.cfg.DiscoveryPrefix
	return []haEntity{
		{dp + "/binary_sensor/" + conn.ObjectID + "/config", mustJSON(conn)},
		{dp + "/sensor/" + rtt.ObjectID + "/config", mustJSON(rtt)},
		{dp + "/sensor/" + loss.ObjectID + "/config", mustJSON(loss)},
	}
}

// mustJSON marshals v, which is always one of this package's plain structs.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("pingmq: marshal " + err.Error()) // unreachable: only strings, numbers and pointers to them
	}
	return b
}
