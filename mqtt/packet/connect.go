package packet

import (
	"strconv"
	"strings"
)

// The protocol names CONNECT carries [MQTT-3.1.2-1].
const (
	protocolMQTT   = "MQTT"   // 3.1.1 and 5.0
	protocolMQIsdp = "MQIsdp" // 3.1
)

// The CONNECT flag bits [MQTT-3.1.2.3].
const (
	connReserved     = 0x01
	connCleanStart   = 0x02
	connWill         = 0x04
	connWillQoSShift = 3
	connWillRetain   = 0x20
	connPassword     = 0x40
	connUsername     = 0x80
)

// protocolName returns the protocol name a level is spoken with.
func protocolName(v Version) string {
	if v == V31 {
		return protocolMQIsdp
	}
	return protocolMQTT
}

// Type returns CONNECT.
func (c *Connect) Type() Type { return CONNECT }

// Encode appends the CONNECT. It is encoded at c.Version; when that is zero, at v. A non-zero
// v that differs from a non-zero c.Version is an error, as is a ProtocolName other than the
// one of that level ("MQIsdp" for 3.1, "MQTT" otherwise; empty means that one). Username and
// Password are written only with their flags, and setting them without the flag is an error.
func (c *Connect) Encode(dst []byte, v Version) ([]byte, error) {
	level := c.Version
	if level == 0 {
		level = v
	} else if v != 0 && v != level {
		return dst, errEncode(CONNECT, ErrProtocol, "Encode version differs from the CONNECT's version")
	}
	level, err := encVersion(CONNECT, level)
	if err != nil {
		return dst, err
	}
	name := protocolName(level)
	if c.ProtocolName != "" && c.ProtocolName != name {
		return dst, errEncode(CONNECT, ErrProtocol, "protocol name does not match the protocol level")
	}
	flags := byte(0)
	if c.CleanStart {
		flags |= connCleanStart
	}
	rl := 2 + len(name) + 1 + 1 + 2 + 2 + len(c.ClientID)
	if len(c.ClientID) > maxStringLen {
		return dst, errEncode(CONNECT, ErrMalformed, "client identifier longer than 65535 bytes")
	}
	var props, willProps encProps
	if level == V5 {
		if props, err = propsFor(CONNECT, c.Properties, ctxConnect); err != nil {
			return dst, err
		}
		rl += props.len()
	}
	if w := c.Will; w != nil {
		if w.QoS > QoS2 {
			return dst, errEncode(CONNECT, ErrMalformed, "will qos 3 [MQTT-3.1.2-14]")
		}
		if w.Topic == "" {
			return dst, errEncode(CONNECT, ErrProtocol, "empty will topic [MQTT-4.7.3-1]")
		}
		if len(w.Topic) > maxStringLen || len(w.Payload) > maxStringLen {
			return dst, errEncode(CONNECT, ErrMalformed, "will topic or payload longer than 65535 bytes")
		}
		flags |= connWill | byte(w.QoS)<<connWillQoSShift
		if w.Retain {
			flags |= connWillRetain
		}
		rl += 4 + len(w.Topic) + len(w.Payload)
		if level == V5 {
			if willProps, err = propsFor(CONNECT, w.Properties, ctxWill); err != nil {
				return dst, err
			}
			rl += willProps.len()
		}
	}
	if c.UsernameFlag {
		if len(c.Username) > maxStringLen {
			return dst, errEncode(CONNECT, ErrMalformed, "user name longer than 65535 bytes")
		}
		flags |= connUsername
		rl += 2 + len(c.Username)
	} else if c.Username != "" {
		return dst, errEncode(CONNECT, ErrMalformed, "user name set without UsernameFlag")
	}
	if c.PasswordFlag {
		if len(c.Password) > maxStringLen {
			return dst, errEncode(CONNECT, ErrMalformed, "password longer than 65535 bytes")
		}
		if !c.UsernameFlag && level < V5 {
			return dst, errEncode(CONNECT, ErrMalformed, "password without user name [MQTT-3.1.2-22]")
		}
		flags |= connPassword
		rl += 2 + len(c.Password)
	} else if len(c.Password) > 0 {
		return dst, errEncode(CONNECT, ErrMalformed, "password set without PasswordFlag")
	}
	if dst, err = appendHeader(dst, byte(CONNECT)<<4, rl); err != nil {
		return dst, err
	}
	dst = appendString(dst, name)
	dst = append(dst, byte(level), flags)
	dst = appendUint16(dst, c.KeepAlive)
	if level == V5 {
		dst = props.appendTo(dst)
	}
	dst = appendString(dst, c.ClientID)
	if w := c.Will; w != nil {
		if level == V5 {
			dst = willProps.appendTo(dst)
		}
		dst = appendString(dst, w.Topic)
		dst = appendBinary(dst, w.Payload)
	}
	if c.UsernameFlag {
		dst = appendString(dst, c.Username)
	}
	if c.PasswordFlag {
		dst = appendBinary(dst, c.Password)
	}
	return dst, nil
}

// decodeConnect decodes a CONNECT body at the level it declares.
func decodeConnect(b []byte) (Packet, error) {
	c := cursor{b: b, t: CONNECT}
	name, err := c.str()
	if err != nil {
		return nil, err
	}
	level, err := c.byte1()
	if err != nil {
		return nil, err
	}
	switch name {
	case protocolMQTT:
		if level != byte(V311) && level != byte(V5) {
			return nil, errDecode(CONNECT, ErrUnsupportedVersion, "unsupported protocol level [MQTT-3.1.2-2]")
		}
		name = protocolMQTT // not aliasing the body
	case protocolMQIsdp:
		if level != byte(V31) {
			return nil, errDecode(CONNECT, ErrUnsupportedVersion, "unsupported protocol level [MQTT-3.1.2-2]")
		}
		name = protocolMQIsdp
	default:
		return nil, errDecode(CONNECT, ErrProtocol, "unknown protocol name [MQTT-3.1.2-1]")
	}
	p := &Connect{ProtocolName: name, Version: Version(level)}
	if err := p.decodeRest(&c); err != nil {
		return &Connect{ProtocolName: name, Version: Version(level)}, err
	}
	return p, nil
}

// decodeRest decodes what follows the protocol level.
func (p *Connect) decodeRest(c *cursor) error {
	flags, err := c.byte1()
	if err != nil {
		return err
	}
	if flags&connReserved != 0 {
		return errDecode(CONNECT, ErrMalformed, "reserved connect flag set [MQTT-3.1.2-3]")
	}
	willQoS := QoS(flags >> connWillQoSShift & 3)
	if flags&connWill == 0 {
		if willQoS != 0 || flags&connWillRetain != 0 {
			// 3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.2-15]; 5.0 [MQTT-3.1.2-11] [MQTT-3.1.2-13].
			return errDecode(CONNECT, ErrMalformed, "will qos or will retain set without will flag [MQTT-3.1.2-13] [MQTT-3.1.2-15]")
		}
	} else if willQoS == 3 {
		return errDecode(CONNECT, ErrMalformed, "will qos 3 [MQTT-3.1.2-14]")
	}
	if flags&connPassword != 0 && flags&connUsername == 0 && p.Version < V5 {
		return errDecode(CONNECT, ErrMalformed, "password flag without user name flag [MQTT-3.1.2-22]")
	}
	p.CleanStart = flags&connCleanStart != 0
	if p.KeepAlive, err = c.uint16(); err != nil {
		return err
	}
	if p.Version == V5 {
		if p.Properties, err = decodeProps(c, ctxConnect); err != nil {
			return err
		}
	}
	if p.ClientID, err = c.str(); err != nil {
		return err
	}
	if flags&connWill != 0 {
		w := &Will{QoS: willQoS, Retain: flags&connWillRetain != 0}
		if p.Version == V5 {
			if w.Properties, err = decodeProps(c, ctxWill); err != nil {
				return err
			}
		}
		topic, err := c.binary()
		if err != nil {
			return err
		}
		if err := checkTopicName(CONNECT, topic); err != nil {
			return err
		}
		if len(topic) == 0 {
			return errDecode(CONNECT, ErrProtocol, "empty will topic [MQTT-4.7.3-1]")
		}
		w.Topic = bytesString(topic)
		payload, err := c.binary()
		if err != nil {
			return err
		}
		w.Payload = nilIfEmpty(payload)
		p.Will = w
	}
	if flags&connUsername != 0 {
		p.UsernameFlag = true
		if p.Username, err = c.str(); err != nil {
			return err
		}
	}
	if flags&connPassword != 0 {
		p.PasswordFlag = true
		pw, err := c.binary()
		if err != nil {
			return err
		}
		p.Password = nilIfEmpty(pw)
	}
	return c.end()
}

// String returns e.g. CONNECT(v=3.1.1 id="c1" clean keepalive=60 will="a/b" user="u").
// The password and the will payload are never shown.
func (c *Connect) String() string {
	var b strings.Builder
	b.WriteString("CONNECT(v=")
	b.WriteString(c.Version.String())
	b.WriteString(" id=")
	b.WriteString(strconv.Quote(c.ClientID))
	if c.CleanStart {
		b.WriteString(" clean")
	}
	b.WriteString(" keepalive=")
	b.WriteString(strconv.Itoa(int(c.KeepAlive)))
	if c.Will != nil {
		b.WriteString(" will=")
		b.WriteString(strconv.Quote(c.Will.Topic))
	}
	if c.UsernameFlag {
		b.WriteString(" user=")
		b.WriteString(strconv.Quote(c.Username))
	}
	if c.PasswordFlag {
		b.WriteString(" password")
	}
	b.WriteByte(')')
	return b.String()
}
