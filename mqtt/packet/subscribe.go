package packet

import (
	"strconv"
	"strings"
)

// The 5.0 subscription options bits (section 3.8.3.1); before 5.0 only the QoS bits exist.
const (
	subQoSMask           = 0x03
	subNoLocal           = 0x04
	subRetainAsPublished = 0x08
	subRetainHandling    = 4 // shift
	subReserved5         = 0xc0
	subReserved3         = 0xfc
)

// Type returns SUBSCRIBE.
func (s *Subscribe) Type() Type { return SUBSCRIBE }

// Encode appends the SUBSCRIBE. Before 5.0 the 5.0-only options (NoLocal, RetainAsPublished,
// RetainHandling) and the properties are left out. Filter syntax is not checked here beyond
// being non-empty: package topic does that.
func (s *Subscribe) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(SUBSCRIBE, v)
	if err != nil {
		return dst, err
	}
	if s.PacketID == 0 {
		return dst, errEncode(SUBSCRIBE, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	if len(s.Subscriptions) == 0 {
		return dst, errEncode(SUBSCRIBE, ErrProtocol, "no topic filter [MQTT-3.8.3-3]")
	}
	rl := 2
	for i := range s.Subscriptions {
		sub := &s.Subscriptions[i]
		if sub.Filter == "" {
			return dst, errEncode(SUBSCRIBE, ErrProtocol, "empty topic filter [MQTT-4.7.3-1]")
		}
		if len(sub.Filter) > maxStringLen {
			return dst, errEncode(SUBSCRIBE, ErrMalformed, "topic filter longer than 65535 bytes")
		}
		if sub.QoS > QoS2 {
			return dst, errEncode(SUBSCRIBE, ErrMalformed, "qos 3 [MQTT-3.8.3-4]")
		}
		if v == V5 && sub.RetainHandling > 2 {
			return dst, errEncode(SUBSCRIBE, ErrProtocol, "retain handling 3 (5.0 section 3.8.3.1)")
		}
		if rl += 3 + len(sub.Filter); rl > MaxRemainingLength { // also keeps a 32-bit int from overflowing
			return dst, errEncode(SUBSCRIBE, ErrPacketTooLarge, "remaining length exceeds 268435455 [MQTT-1.5.5]")
		}
	}
	var props encProps
	if v == V5 {
		if props, err = propsFor(SUBSCRIBE, s.Properties, ctxSubscribe); err != nil {
			return dst, err
		}
		rl += props.len()
	}
	if dst, err = appendHeader(dst, byte(SUBSCRIBE)<<4|0x02, rl); err != nil {
		return dst, err
	}
	dst = appendUint16(dst, s.PacketID)
	if v == V5 {
		dst = props.appendTo(dst)
	}
	for i := range s.Subscriptions {
		sub := &s.Subscriptions[i]
		dst = appendString(dst, sub.Filter)
		opts := byte(sub.QoS)
		if v == V5 {
			if sub.NoLocal {
				opts |= subNoLocal
			}
			if sub.RetainAsPublished {
				opts |= subRetainAsPublished
			}
			opts |= sub.RetainHandling << subRetainHandling
		}
		dst = append(dst, opts)
	}
	return dst, nil
}

// countEntries counts the length-prefixed entries in b, each followed by extra bytes, to size
// a slice exactly. A count that does not fit the bytes is fixed up by the decode that follows.
func countEntries(b []byte, extra int) int {
	n := 0
	for i := 0; i+2 <= len(b); n++ {
		i += 2 + (int(b[i])<<8 | int(b[i+1])) + extra
	}
	return n
}

// decodeSubscribe decodes a SUBSCRIBE body.
func decodeSubscribe(b []byte, v Version) (Packet, error) {
	c := cursor{b: b, t: SUBSCRIBE}
	id, err := c.packetID()
	if err != nil {
		return nil, err
	}
	s := &Subscribe{PacketID: id}
	if v == V5 {
		if s.Properties, err = decodeProps(&c, ctxSubscribe); err != nil {
			return nil, err
		}
	}
	if c.left() == 0 {
		return nil, errDecode(SUBSCRIBE, ErrProtocol, "no topic filter [MQTT-3.8.3-3]")
	}
	s.Subscriptions = make([]Subscription, 0, countEntries(b[c.off:], 1))
	for c.left() > 0 {
		filter, err := c.str()
		if err != nil {
			return nil, err
		}
		if filter == "" {
			return nil, errDecode(SUBSCRIBE, ErrProtocol, "empty topic filter [MQTT-4.7.3-1]")
		}
		opts, err := c.byte1()
		if err != nil {
			return nil, err
		}
		sub := Subscription{Filter: filter, QoS: QoS(opts & subQoSMask)}
		if v == V5 {
			if opts&subReserved5 != 0 {
				return nil, errDecode(SUBSCRIBE, ErrMalformed, "reserved subscription option bits set [MQTT-3.8.3-5]")
			}
			if sub.QoS == 3 {
				return nil, errDecode(SUBSCRIBE, ErrProtocol, "maximum qos 3 (5.0 section 3.8.3.1)")
			}
			sub.NoLocal = opts&subNoLocal != 0
			sub.RetainAsPublished = opts&subRetainAsPublished != 0
			sub.RetainHandling = opts >> subRetainHandling & 3
			if sub.RetainHandling == 3 {
				return nil, errDecode(SUBSCRIBE, ErrProtocol, "retain handling 3 (5.0 section 3.8.3.1)")
			}
		} else {
			if opts&subReserved3 != 0 {
				return nil, errDecode(SUBSCRIBE, ErrMalformed, "reserved requested qos bits set [MQTT-3.8.3-4]")
			}
			if sub.QoS == 3 {
				return nil, errDecode(SUBSCRIBE, ErrMalformed, "requested qos 3 [MQTT-3.8.3-4]")
			}
		}
		s.Subscriptions = append(s.Subscriptions, sub)
	}
	return s, nil
}

// String returns e.g. SUBSCRIBE(id=1 "a/#":1 "b":0), listing at most four filters.
func (s *Subscribe) String() string {
	var b strings.Builder
	b.WriteString("SUBSCRIBE(id=")
	b.WriteString(strconv.Itoa(int(s.PacketID)))
	for i, sub := range s.Subscriptions {
		if i == 4 {
			b.WriteString(" +")
			b.WriteString(strconv.Itoa(len(s.Subscriptions) - i))
			break
		}
		b.WriteByte(' ')
		b.WriteString(quote(sub.Filter))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(sub.QoS)))
	}
	b.WriteByte(')')
	return b.String()
}
