package packet

import (
	"strconv"
	"strings"
)

// Type returns PUBLISH.
func (p *Publish) Type() Type { return PUBLISH }

// Encode appends the PUBLISH. PacketID is written only for QoS 1 and 2, where it must not be 0.
// The topic's characters are not checked here (Decode does); an empty topic is accepted only
// with a 5.0 topic alias.
func (p *Publish) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(PUBLISH, v)
	if err != nil {
		return dst, err
	}
	if p.QoS > QoS2 {
		return dst, errEncode(PUBLISH, ErrMalformed, "qos 3 [MQTT-3.3.1-4]")
	}
	first := byte(PUBLISH)<<4 | byte(p.QoS)<<1
	if p.Dup {
		if p.QoS == QoS0 {
			return dst, errEncode(PUBLISH, ErrMalformed, "dup flag set on a qos 0 message [MQTT-3.3.1-2]")
		}
		first |= 0x08
	}
	if p.Retain {
		first |= 0x01
	}
	if len(p.Topic) > maxStringLen {
		return dst, errEncode(PUBLISH, ErrMalformed, "topic longer than 65535 bytes")
	}
	if len(p.Payload) > MaxRemainingLength {
		return dst, errEncode(PUBLISH, ErrPacketTooLarge, "payload longer than 268435455 bytes")
	}
	rl := 2 + len(p.Topic) + len(p.Payload)
	if p.QoS > QoS0 {
		if p.PacketID == 0 {
			return dst, errEncode(PUBLISH, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
		}
		rl += 2
	}
	var props encProps
	if v == V5 {
		if props, err = propsFor(PUBLISH, p.Properties, ctxPublish); err != nil {
			return dst, err
		}
		rl += props.len()
	}
	if p.Topic == "" && (v < V5 || p.Properties == nil || p.Properties.TopicAlias == nil) {
		return dst, errEncode(PUBLISH, ErrProtocol, "empty topic name without topic alias [MQTT-4.7.3-1]")
	}
	if dst, err = appendHeader(dst, first, rl); err != nil {
		return dst, err
	}
	dst = appendString(dst, p.Topic)
	if p.QoS > QoS0 {
		dst = appendUint16(dst, p.PacketID)
	}
	if v == V5 {
		dst = props.appendTo(dst)
	}
	return append(dst, p.Payload...), nil
}

// decodePublish decodes a PUBLISH body; checkHeader has vetted the flags.
func decodePublish(h byte, b []byte, v Version) (Packet, error) {
	c := cursor{b: b, t: PUBLISH}
	topic, err := c.binary()
	if err != nil {
		return nil, err
	}
	if err := checkTopicName(PUBLISH, topic); err != nil {
		return nil, err
	}
	p := &Publish{
		Dup:    h&0x08 != 0,
		QoS:    QoS(h >> 1 & 3),
		Retain: h&0x01 != 0,
		Topic:  bytesString(topic),
	}
	if p.QoS > QoS0 {
		if p.PacketID, err = c.packetID(); err != nil {
			return nil, err
		}
	}
	if v == V5 {
		if p.Properties, err = decodeProps(&c, ctxPublish); err != nil {
			return nil, err
		}
	}
	if len(topic) == 0 && (p.Properties == nil || p.Properties.TopicAlias == nil) {
		// 5.0 section 3.3.2.1: "It is a Protocol Error if the Topic Name is zero length and
		// there is no Topic Alias"; before 5.0 [MQTT-4.7.3-1] forbids it outright.
		return nil, errDecode(PUBLISH, ErrProtocol, "empty topic name without topic alias [MQTT-4.7.3-1]")
	}
	p.Payload = nilIfEmpty(b[c.off:])
	return p, nil
}

// String returns e.g. PUBLISH(id=3 qos=1 topic="a/b" len=5), with dup and retain when set.
func (p *Publish) String() string {
	var b strings.Builder
	b.WriteString("PUBLISH(")
	if p.QoS > QoS0 {
		b.WriteString("id=")
		b.WriteString(strconv.Itoa(int(p.PacketID)))
		b.WriteByte(' ')
	}
	b.WriteString("qos=")
	b.WriteString(strconv.Itoa(int(p.QoS)))
	if p.Dup {
		b.WriteString(" dup")
	}
	if p.Retain {
		b.WriteString(" retain")
	}
	b.WriteString(" topic=")
	b.WriteString(quote(p.Topic))
	if p.Properties != nil && p.Properties.TopicAlias != nil {
		b.WriteString(" alias=")
		b.WriteString(strconv.Itoa(int(*p.Properties.TopicAlias)))
	}
	b.WriteString(" len=")
	b.WriteString(strconv.Itoa(len(p.Payload)))
	b.WriteByte(')')
	return b.String()
}
