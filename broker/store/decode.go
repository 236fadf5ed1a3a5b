package store

import (
	"encoding/binary"
	"fmt"
)

// decoder reads a record body; the first error sticks and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("short or bad %s: %w", what, ErrCorrupt)
	}
	d.b = nil
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.fail(what)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8(what string) byte {
	if p := d.take(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16(what string) uint16 {
	if p := d.take(2, what); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32(what string) uint32 {
	if p := d.take(4, what); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64(what string) uint64 {
	if p := d.take(8, what); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes reads a length-prefixed byte string; the result aliases the body.
func (d *decoder) bytes(what string, limit int) []byte {
	n := d.uvarint(what)
	if n > uint64(limit) || n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	return d.take(int(n), what)
}

func (d *decoder) str(what string) string { return string(d.bytes(what, maxString)) }

func (d *decoder) qos(what string) byte {
	q := d.u8(what)
	if q > 2 {
		d.fail(what)
	}
	return q
}

// finish reports an error for unread bytes: a record is exactly its fields.
func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes in %s: %w", len(d.b), what, ErrCorrupt)
	}
	return d.err
}

// decodeMessageBody decodes a message body (after the id), copying every field so the
// result does not alias b.
func decodeMessageBody(d *decoder) Message {
	var m Message
	m.Expiry = int64(d.u64("expiry"))
	f := d.u8("flags")
	if f&^0x07 != 0 || f&3 == 3 {
		d.fail("message flags")
	}
	m.QoS, m.Retain = f&3, f&4 != 0
	m.Topic = d.str("topic")
	if p := d.bytes("properties", maxFrame); len(p) > 0 {
		m.Props = append([]byte(nil), p...)
	}
	if d.err == nil && len(d.b) > 0 {
		m.Payload = append([]byte(nil), d.b...)
		d.b = nil
	}
	return m
}

type header struct {
	version, kind byte
	next          MsgID
}

func decodeHeader(body []byte) (header, error) {
	d := decoder{b: body}
	var h header
	if string(d.take(4, "magic")) != magic {
		return h, fmt.Errorf("bad magic: %w", ErrCorrupt)
	}
	h.version = d.u8("version")
	h.kind = d.u8("kind")
	h.next = MsgID(d.u64("next id"))
	if h.version != formatVersion {
		return h, d.err
	}
	if h.kind != kindLog && h.kind != kindSnapshot {
		d.fail("segment kind")
	}
	return h, d.finish("header")
}

func decodeMessage(body []byte) (MsgID, Message, error) {
	d := decoder{b: body}
	id := MsgID(d.u64("id"))
	m := decodeMessageBody(&d)
	return id, m, d.finish("message")
}

func decodeSubs(d *decoder) []Subscription {
	n := d.uvarint("subscription count")
	if n > uint64(len(d.b))/3 { // each takes at least 3 bytes
		d.fail("subscription count")
		return nil
	}
	var subs []Subscription
	if n > 0 {
		subs = make([]Subscription, 0, n)
	}
	for range n {
		sub := Subscription{Filter: d.str("filter"), QoS: d.qos("subscription qos"), Flags: d.u8("flags")}
		if d.err != nil {
			return nil
		}
		subs = append(subs, sub)
	}
	return subs
}

func decodeQueued(d *decoder) Queued {
	q := Queued{Msg: MsgID(d.u64("msg"))}
	f := d.u8("queue flags")
	if f&^0x0f != 0 || f&3 == 3 {
		d.fail("queue flags")
	}
	q.QoS, q.Retain, q.Released = f&3, f&4 != 0, f&8 != 0
	q.PacketID = d.u16("packet id")
	return q
}

func decodeBool(d *decoder, what string) bool {
	v := d.u8(what)
	if v > 1 {
		d.fail(what)
	}
	return v == 1
}

func decodeWill(d *decoder) *Will {
	if !decodeBool(d, "will present") {
		return nil
	}
	w := &Will{Due: int64(d.u64("due"))}
	w.Msg = decodeMessageBody(d)
	return w
}
