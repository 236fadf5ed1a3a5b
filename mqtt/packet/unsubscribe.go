package packet

import (
	"strconv"
	"strings"
)

// Type returns UNSUBSCRIBE.
func (u *Unsubscribe) Type() Type { return UNSUBSCRIBE }

// Encode appends the UNSUBSCRIBE; properties only in 5.0.
func (u *Unsubscribe) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(UNSUBSCRIBE, v)
	if err != nil {
		return dst, err
	}
	if u.PacketID == 0 {
		return dst, errEncode(UNSUBSCRIBE, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	if len(u.Filters) == 0 {
		return dst, errEncode(UNSUBSCRIBE, ErrProtocol, "no topic filter [MQTT-3.10.3-2]")
	}
	rl := 2
	for _, f := range u.Filters {
		if f == "" {
			return dst, errEncode(UNSUBSCRIBE, ErrProtocol, "empty topic filter [MQTT-4.7.3-1]")
		}
		if len(f) > maxStringLen {
			return dst, errEncode(UNSUBSCRIBE, ErrMalformed, "topic filter longer than 65535 bytes")
		}
		if rl += 2 + len(f); rl > MaxRemainingLength { // also keeps a 32-bit int from overflowing
			return dst, errEncode(UNSUBSCRIBE, ErrPacketTooLarge, "remaining length exceeds 268435455 [MQTT-1.5.5]")
		}
	}
	var props encProps
	if v == V5 {
		if props, err = propsFor(UNSUBSCRIBE, u.Properties, ctxUnsubscribe); err != nil {
			return dst, err
		}
		rl += props.len()
	}
	if dst, err = appendHeader(dst, byte(UNSUBSCRIBE)<<4|0x02, rl); err != nil {
		return dst, err
	}
	dst = appendUint16(dst, u.PacketID)
	if v == V5 {
		dst = props.appendTo(dst)
	}
	for _, f := range u.Filters {
		dst = appendString(dst, f)
	}
	return dst, nil
}

// decodeUnsubscribe decodes an UNSUBSCRIBE body.
func decodeUnsubscribe(b []byte, v Version) (Packet, error) {
	c := cursor{b: b, t: UNSUBSCRIBE}
	id, err := c.packetID()
	if err != nil {
		return nil, err
	}
	u := &Unsubscribe{PacketID: id}
	if v == V5 {
		if u.Properties, err = decodeProps(&c, ctxUnsubscribe); err != nil {
			return nil, err
		}
	}
	if c.left() == 0 {
		return nil, errDecode(UNSUBSCRIBE, ErrProtocol, "no topic filter [MQTT-3.10.3-2]")
	}
	u.Filters = make([]string, 0, countEntries(b[c.off:], 0))
	for c.left() > 0 {
		f, err := c.str()
		if err != nil {
			return nil, err
		}
		if f == "" {
			return nil, errDecode(UNSUBSCRIBE, ErrProtocol, "empty topic filter [MQTT-4.7.3-1]")
		}
		u.Filters = append(u.Filters, f)
	}
	return u, nil
}

// String returns e.g. UNSUBSCRIBE(id=2 "a/#" "b"), listing at most four filters.
func (u *Unsubscribe) String() string {
	var b strings.Builder
	b.WriteString("UNSUBSCRIBE(id=")
	b.WriteString(strconv.Itoa(int(u.PacketID)))
	for i, f := range u.Filters {
		if i == 4 {
			b.WriteString(" +")
			b.WriteString(strconv.Itoa(len(u.Filters) - i))
			break
		}
		b.WriteByte(' ')
		b.WriteString(quote(f))
	}
	b.WriteByte(')')
	return b.String()
}
