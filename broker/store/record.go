package store

import (
	"encoding/binary"
	"hash/crc32"
)

// Frame layout (little endian):
//
//	crc  uint32  CRC-32C (Castagnoli) of everything after it: len, type, body
//	len  uint32  bytes of type + body
//	type uint8
//	body [len-1]byte
const (
	frameHeader = 9
	// maxFrame bounds len: above any MQTT packet (256 MiB) plus the record's own fields.
	maxFrame = 1 << 29
	// maxString bounds client ids, topics and filters, like an MQTT UTF-8 string.
	maxString = 65535

	formatVersion = 1
	magic         = "SMQS"

	kindLog      = 0 // a segment of appended records
	kindSnapshot = 1 // a compacted segment: the whole state as of every segment numbered up to it
)

// castagnoli is the CRC-32C table; computed once and never written.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type recType byte

// Record types. The body of each is described in doc.go.
const (
	recHeader recType = 1 + iota
	recMessage
	recSession
	recDisconnected
	recDeleteSession
	recEnqueue
	recInflight
	recDequeue
	recAddInbound
	recRemoveInbound
	recSetRetained
	recClearRetained
	recSetWill
)

func (t recType) String() string {
	names := [...]string{"?", "header", "message", "session", "disconnected", "delete-session",
		"enqueue", "inflight", "dequeue", "add-inbound", "remove-inbound", "set-retained",
		"clear-retained", "set-will"}
	if int(t) < len(names) {
		return names[t]
	}
	return "unknown"
}

// begin appends a frame header to be completed by end.
func begin(b []byte, t recType) ([]byte, int) {
	return append(b, 0, 0, 0, 0, 0, 0, 0, 0, byte(t)), len(b)
}

// end fills in the length and checksum of the frame that begins at start.
func end(b []byte, start int) []byte {
	binary.LittleEndian.PutUint32(b[start+4:], uint32(len(b)-start-8))
	binary.LittleEndian.PutUint32(b[start:], crc32.Checksum(b[start+4:], castagnoli))
	return b
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func strSize(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// header: magic [4] | version u8 | kind u8 | nextID u64
const headerSize = frameHeader + 4 + 1 + 1 + 8

func appendHeader(b []byte, kind byte, next MsgID) []byte {
	b, s := begin(b, recHeader)
	b = append(b, magic...)
	b = append(b, formatVersion, kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(next))
	return end(b, s)
}

// message: id u64 | expiry i64 | flags u8 (qos | retain<<2) | topic str | props bytes | payload (rest)
func messageSize(m *Message) int {
	return frameHeader + 8 + 8 + 1 + strSize(m.Topic) + uvarintLen(uint64(len(m.Props))) +
		len(m.Props) + len(m.Payload)
}

func appendMessageBody(b []byte, m *Message) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Expiry))
	b = append(b, m.QoS|boolByte(m.Retain)<<2)
	b = appendStr(b, m.Topic)
	b = appendBytes(b, m.Props)
	return append(b, m.Payload...)
}

func appendMessage(b []byte, id MsgID, m *Message) []byte {
	b, s := begin(b, recMessage)
	b = binary.LittleEndian.AppendUint64(b, uint64(id))
	return end(appendMessageBody(b, m), s)
}

// session: cid str | expiry u32 | n uvarint | n × (filter str | qos u8 | flags u8)
func sessionSize(cid string, subs []Subscription) int {
	n := frameHeader + strSize(cid) + 4 + uvarintLen(uint64(len(subs)))
	for i := range subs {
		n += strSize(subs[i].Filter) + 2
	}
	return n
}

func appendSession(b []byte, cid string, expiry uint32, subs []Subscription) []byte {
	b, s := begin(b, recSession)
	b = appendStr(b, cid)
	b = binary.LittleEndian.AppendUint32(b, expiry)
	b = binary.AppendUvarint(b, uint64(len(subs)))
	for _, sub := range subs {
		b = appendStr(b, sub.Filter)
		b = append(b, sub.QoS, sub.Flags)
	}
	return end(b, s)
}

// disconnected: cid str | at i64
func disconnectedSize(cid string) int { return frameHeader + strSize(cid) + 8 }

func appendDisconnected(b []byte, cid string, at int64) []byte {
	b, s := begin(b, recDisconnected)
	b = appendStr(b, cid)
	return end(binary.LittleEndian.AppendUint64(b, uint64(at)), s)
}

// delete-session: cid str
func deleteSessionSize(cid string) int { return frameHeader + strSize(cid) }

func appendDeleteSession(b []byte, cid string) []byte {
	b, s := begin(b, recDeleteSession)
	return end(appendStr(b, cid), s)
}

// enqueue: cid str | msg u64 | flags u8 (qos | retain<<2 | released<<3) | packetID u16
func enqueueSize(cid string) int { return frameHeader + strSize(cid) + 8 + 1 + 2 }

func appendEnqueue(b []byte, cid string, q Queued) []byte {
	b, s := begin(b, recEnqueue)
	b = appendStr(b, cid)
	b = binary.LittleEndian.AppendUint64(b, uint64(q.Msg))
	b = append(b, q.QoS|boolByte(q.Retain)<<2|boolByte(q.Released)<<3)
	return end(binary.LittleEndian.AppendUint16(b, q.PacketID), s)
}

// inflight: cid str | msg u64 | packetID u16 | released u8
func inflightSize(cid string) int { return frameHeader + strSize(cid) + 8 + 2 + 1 }

func appendInflight(b []byte, cid string, msg MsgID, packetID uint16, released bool) []byte {
	b, s := begin(b, recInflight)
	b = appendStr(b, cid)
	b = binary.LittleEndian.AppendUint64(b, uint64(msg))
	b = binary.LittleEndian.AppendUint16(b, packetID)
	return end(append(b, boolByte(released)), s)
}

// dequeue: cid str | msg u64
func dequeueSize(cid string) int { return frameHeader + strSize(cid) + 8 }

func appendDequeue(b []byte, cid string, msg MsgID) []byte {
	b, s := begin(b, recDequeue)
	b = appendStr(b, cid)
	return end(binary.LittleEndian.AppendUint64(b, uint64(msg)), s)
}

// add-inbound, remove-inbound: cid str | packetID u16
func inboundSize(cid string) int { return frameHeader + strSize(cid) + 2 }

func appendInbound(b []byte, t recType, cid string, packetID uint16) []byte {
	b, s := begin(b, t)
	b = appendStr(b, cid)
	return end(binary.LittleEndian.AppendUint16(b, packetID), s)
}

// set-retained: topic str | msg u64
func setRetainedSize(topic string) int { return frameHeader + strSize(topic) + 8 }

func appendSetRetained(b []byte, topic string, msg MsgID) []byte {
	b, s := begin(b, recSetRetained)
	b = appendStr(b, topic)
	return end(binary.LittleEndian.AppendUint64(b, uint64(msg)), s)
}

// clear-retained: topic str
func clearRetainedSize(topic string) int { return frameHeader + strSize(topic) }

func appendClearRetained(b []byte, topic string) []byte {
	b, s := begin(b, recClearRetained)
	return end(appendStr(b, topic), s)
}

// set-will: cid str | present u8 | if present: due i64 | message body as in a message record
func willSize(cid string, w *Will) int {
	n := frameHeader + strSize(cid) + 1
	if w != nil {
		n += 8 + messageSize(&w.Msg) - frameHeader - 8
	}
	return n
}

func appendWill(b []byte, cid string, w *Will) []byte {
	b, s := begin(b, recSetWill)
	b = appendStr(b, cid)
	if w == nil {
		return end(append(b, 0), s)
	}
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint64(b, uint64(w.Due))
	return end(appendMessageBody(b, &w.Msg), s)
}
