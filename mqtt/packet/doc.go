// Package packet is the MQTT wire codec: it encodes and decodes the control packets of MQTT
// 3.1 (protocol name "MQIsdp", level 3), 3.1.1 ("MQTT", level 4) and 5.0 ("MQTT", level 5).
//
// Every control packet is a concrete type implementing Packet: Connect, Connack, Publish, Ack
// (PUBACK, PUBREC, PUBREL and PUBCOMP, told apart by Kind), Subscribe, Suback, Unsubscribe,
// Unsuback, Pingreq, Pingresp, Disconnect and Auth. Encode appends a packet to a byte slice as
// spoken at a given version, leaving out what that version cannot carry (properties and
// reason codes before 5.0); it sizes the packet first and allocates nothing when the slice has
// room. A Reader decodes packets from a stream; DecodeBody and Decode decode from memory.
//
// # Errors
//
// Every packet that breaks the spec is rejected with an error wrapping a Code, the 5.0 reason
// code a broker sends back in CONNACK or DISCONNECT (use errors.Is or errors.As):
//
//   - ErrMalformed: the bytes break the wire format — reserved fixed-header flags, QoS 3,
//     DUP on QoS 0, a variable byte integer longer than 4 bytes or not minimally encoded,
//     ill-formed UTF-8 or U+0000 in a string, a field running past the remaining length,
//     bytes left over after the last field, reserved CONNECT or subscription-option bits, will
//     QoS or retain without the will flag, a 3.x password without a user name, a property
//     identifier that is unknown or not allowed in that packet (5.0 section 2.2.2.2).
//   - ErrProtocol: well formed but against a protocol rule — packet identifier 0, a property
//     given twice (only User Property and, in PUBLISH, Subscription Identifier may repeat), a
//     zero Receive Maximum, Maximum Packet Size or Subscription Identifier, a boolean property
//     other than 0 or 1, an empty SUBSCRIBE or UNSUBSCRIBE, an empty topic filter or topic name
//     (5.0 allows the empty topic name with a topic alias), a reason code the packet does not
//     list, an unknown CONNECT protocol name, a 5.0 subscription with QoS 3 or retain
//     handling 3 (5.0 section 3.8.3.1 calls these protocol errors, 3.1.1 malformed).
//   - ErrUnsupportedVersion: a CONNECT whose protocol name is known but whose level is not
//     ("MQIsdp" other than 3, "MQTT" other than 4 or 5); the broker answers CONNACK 0x01 or 0x84.
//   - ErrTopicNameInvalid: '+' or '#' in a PUBLISH or will topic name, or in a Response Topic.
//   - ErrTopicAliasInvalid: topic alias 0.
//   - ErrPacketTooLarge: a remaining length above Reader.MaxSize, or a packet Encode cannot
//     express (remaining length above MaxRemainingLength).
//
// The codec checks strings for UTF-8 well-formedness, not topic-filter syntax: that is package
// topic's job. Encode checks structure (lengths, QoS, identifiers, allowed properties and
// reason codes) but not string contents, which come from the caller.
//
// # Memory
//
// A decoded packet aliases its body buffer: Publish.Topic, Publish.Payload and every other
// string and byte slice point into it (strings via unsafe.String, which is sound because the
// buffer is never written again). A Reader allocates one buffer per packet, so a broker can
// hand the same Publish to many subscribers without copying. A decoded packet with no 5.0
// properties has a nil Properties and costs no extra allocation.
package packet
