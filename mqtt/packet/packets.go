package packet

// Connect is the CONNECT packet [MQTT-3.1].
type Connect struct {
	ProtocolName string  // "MQTT", or "MQIsdp" for 3.1.
	Version      Version // Protocol level.
	CleanStart   bool    // Clean session (3.x) or clean start (5.0).
	KeepAlive    uint16  // Seconds; 0 disables keepalive.
	ClientID     string
	Will         *Will // nil when the will flag is 0.
	UsernameFlag bool
	Username     string
	PasswordFlag bool
	Password     []byte
	Properties   *Properties // 5.0 only; nil when there are none.
}

// Will is the will message carried in a CONNECT.
type Will struct {
	Topic      string
	Payload    []byte
	QoS        QoS
	Retain     bool
	Properties *Properties // 5.0 will properties; nil when there are none.
}

// Connack is the CONNACK packet. ReasonCode holds the 3.x return code (0–5) or the 5.0 reason code.
type Connack struct {
	SessionPresent bool
	ReasonCode     byte
	Properties     *Properties
}

// Publish is the PUBLISH packet. After Decode, Topic and Payload alias one buffer owned by the
// packet: they are never modified afterwards, so a broker may share them between subscribers.
type Publish struct {
	Dup        bool
	QoS        QoS
	Retain     bool
	Topic      string
	PacketID   uint16 // Present only when QoS > 0.
	Properties *Properties
	Payload    []byte
}

// Ack is PUBACK, PUBREC, PUBREL or PUBCOMP: the four packets that carry a packet id and, in
// 5.0, a reason code and properties. Kind says which one it is.
type Ack struct {
	Kind       Type // PUBACK, PUBREC, PUBREL or PUBCOMP.
	PacketID   uint16
	ReasonCode byte // 5.0 only; 0 (success) when absent.
	Properties *Properties
}

// Subscription is one topic filter of a SUBSCRIBE with its options.
type Subscription struct {
	Filter            string
	QoS               QoS  // Maximum QoS requested.
	NoLocal           bool // 5.0.
	RetainAsPublished bool // 5.0.
	RetainHandling    byte // 5.0: 0 send retained, 1 only on new subscription, 2 never.
}

// Subscribe is the SUBSCRIBE packet.
type Subscribe struct {
	PacketID      uint16
	Properties    *Properties // 5.0: SubscriptionIdentifier, user properties.
	Subscriptions []Subscription
}

// Suback is the SUBACK packet: one return/reason code per requested filter.
type Suback struct {
	PacketID    uint16
	Properties  *Properties
	ReasonCodes []byte
}

// Unsubscribe is the UNSUBSCRIBE packet.
type Unsubscribe struct {
	PacketID   uint16
	Properties *Properties
	Filters    []string
}

// Unsuback is the UNSUBACK packet. ReasonCodes is empty before 5.0.
type Unsuback struct {
	PacketID    uint16
	Properties  *Properties
	ReasonCodes []byte
}

// Pingreq is the PINGREQ packet.
type Pingreq struct{}

// Pingresp is the PINGRESP packet.
type Pingresp struct{}

// Disconnect is the DISCONNECT packet. ReasonCode and Properties are 5.0 only.
type Disconnect struct {
	ReasonCode byte
	Properties *Properties
}

// Auth is the 5.0 AUTH packet.
type Auth struct {
	ReasonCode byte
	Properties *Properties
}
