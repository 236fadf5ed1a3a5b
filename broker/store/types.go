package store

// MsgID identifies a message stored with PutMessage. IDs are assigned by the store in
// increasing order, start at 1 and are never reused within a store's lifetime: the counter is
// persisted in every segment header.
type MsgID uint64

// Message is an application message as the store keeps it: stored once by PutMessage and
// referenced by MsgID from session queues and the retained table.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
	Props   []byte // opaque to the store: encoded MQTT 5 properties, may be nil
	Expiry  int64  // unix seconds, 0 = none; the store keeps it, the broker enforces it
}

// Subscription is one subscription of a persistent session.
type Subscription struct {
	Filter string
	QoS    byte
	Flags  byte // opaque option bits (no local, retain as published, retain handling)
}

// Queued is one entry of a session's queue: a message waiting for delivery or in flight.
type Queued struct {
	Msg      MsgID
	QoS      byte
	Retain   bool
	PacketID uint16 // 0 = not in flight
	Released bool   // QoS 2: PUBREL sent, awaiting PUBCOMP
}

// Will is a will message whose publication is pending.
type Will struct {
	Msg Message
	Due int64 // unix seconds when it fires
}

// Session is the durable state of one persistent session.
type Session struct {
	ClientID       string
	Expiry         uint32 // MQTT 5 session expiry interval in seconds; 0xFFFFFFFF = never
	DisconnectedAt int64  // unix seconds; 0 = connected when the store was last written
	Subs           []Subscription
	Queue          []Queued // in order
	InboundQoS2    []uint16 // QoS 2 packet ids received, awaiting PUBREL [MQTT-4.3.3-2]
	Will           *Will
}

// State is what Open found live in the store: every session and the retained table.
// Sessions are sorted by ClientID.
type State struct {
	Sessions []Session
	Retained map[string]MsgID
}

// Stats are the store's counters. DiskBytes, LiveBytes, Segments, Sessions and Messages are
// current values; the others count since Open.
type Stats struct {
	DiskBytes    int64 // bytes of segment files, including appended records not yet written
	LiveBytes    int64 // bytes a compaction would keep
	Segments     int   // segment files
	Sessions     int   // sessions held
	Messages     int   // messages held (referenced, or put and not yet referenced)
	Records      int64 // records appended
	BytesWritten int64 // bytes written to segment files (appends and compactions)
	Fsyncs       int64 // fsyncs of segment files
	Compactions  int64 // compactions completed
	Refused      int64 // appends refused with ErrFull
}
