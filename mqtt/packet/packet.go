package packet

import "fmt"

// Type is the MQTT control packet type, the high nibble of the fixed header's first byte.
type Type byte

// The control packet types.
const (
	CONNECT     Type = 1
	CONNACK     Type = 2
	PUBLISH     Type = 3
	PUBACK      Type = 4
	PUBREC      Type = 5
	PUBREL      Type = 6
	PUBCOMP     Type = 7
	SUBSCRIBE   Type = 8
	SUBACK      Type = 9
	UNSUBSCRIBE Type = 10
	UNSUBACK    Type = 11
	PINGREQ     Type = 12
	PINGRESP    Type = 13
	DISCONNECT  Type = 14
	AUTH        Type = 15 // MQTT 5.0 only.
)

var typeNames = [...]string{"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
	"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

// String returns the packet type's name as the spec spells it, e.g. "PUBLISH".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", byte(t))
}

// Version is the protocol level carried in CONNECT.
type Version byte

// The protocol levels this package speaks.
const (
	V31  Version = 3 // MQTT 3.1, protocol name "MQIsdp".
	V311 Version = 4 // MQTT 3.1.1, protocol name "MQTT".
	V5   Version = 5 // MQTT 5.0, protocol name "MQTT".
)

// String returns "3.1", "3.1.1" or "5.0".
func (v Version) String() string {
	switch v {
	case V31:
		return "3.1"
	case V311:
		return "3.1.1"
	case V5:
		return "5.0"
	}
	return fmt.Sprintf("Version(%d)", byte(v))
}

// QoS is a quality-of-service level, 0, 1 or 2.
type QoS byte

// The quality-of-service levels.
const (
	QoS0 QoS = 0 // At most once.
	QoS1 QoS = 1 // At least once.
	QoS2 QoS = 2 // Exactly once.
)

// MaxRemainingLength is the largest remaining length the variable byte integer can express.
const MaxRemainingLength = 268_435_455

// Packet is one MQTT control packet. Every concrete type in this package implements it with a
// pointer receiver.
type Packet interface {
	// Type returns the control packet type.
	Type() Type
	// Encode appends the packet, fixed header included, as spoken at protocol version v (zero
	// means V311), to dst and returns the extended slice; on error it returns dst unchanged.
	// Encoding into a buffer with enough capacity allocates nothing. Fields that version v
	// cannot carry (properties and reason codes before 5.0) are left out.
	Encode(dst []byte, v Version) ([]byte, error)
	// String returns a short human-readable form for logs, never the payload bytes.
	String() string
}
