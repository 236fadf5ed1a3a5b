package broker

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Message is an application message as the broker routes it. It is immutable once published:
// one Message is shared by every subscriber it is delivered to.
type Message struct {
	Topic      string
	Payload    []byte
	QoS        packet.QoS
	Retain     bool
	Properties *packet.Properties // 5.0 properties forwarded to subscribers; nil for none.

	sid  store.MsgID // id in the durable store, 0 if not stored
	lazy bool        // restored from disk without its payload: read it back before sending
}

// subscription is what the tree stores for one (filter, session) pair.
type subscription struct {
	qos               packet.QoS
	noLocal           bool // 5.0: not delivered to the publishing session.
	retainAsPublished bool // 5.0: keep the publisher's retain flag.
}

// inflight is an outgoing QoS 1/2 message awaiting acknowledgement.
type inflight struct {
	id       uint16
	msg      *Message
	qos      packet.QoS
	retain   bool
	released bool // QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP.
}

// pending is a message waiting in the session queue.
type pending struct {
	msg    *Message
	qos    packet.QoS
	retain bool
}

// session is the state the broker keeps for a client id, connected or not [MQTT-3.1.2-4].
type session struct {
	srv        *Server
	id         string
	persistent bool   // survives the connection (3.x clean session 0, 5.0 session expiry > 0)
	expiry     uint32 // 5.0 session expiry interval; 0xFFFFFFFF (never) for 3.x persistent sessions
	stored     bool   // written to the durable store: delete it there when discarded

	mu       sync.Mutex
	conn     *conn                   // nil while offline
	subs     map[string]subscription // filter → options
	nsubs    atomic.Int32            // len(subs), read lock-free by routing
	inflight []inflight              // outgoing QoS 1/2 in send order, ≤ MaxInflight
	queue    []pending               // waiting for a connection or a free in-flight slot
	qhead    int                     // queue[qhead:] is live
	qbytes   int64                   // payload bytes in queue[qhead:]
	nextID   uint16
	inQoS2   map[uint16]struct{} // incoming QoS 2 ids delivered, awaiting PUBREL [MQTT-4.3.3-2]

	inline      *inlineSub  // in-process subscriber instead of a connection
	expireTimer *time.Timer // runs while a session with a finite expiry is offline
	will        *Message    // a 5.0 will waiting for its delay (see will.go)
	willTimer   *time.Timer
	progress    atomic.Uint64 // acknowledgements received: a stalled publisher watches it
	stuckAt     atomic.Uint64 // progress+1 when a publisher gave up waiting for it; 0 if moving
}

// stopExpiry cancels a pending expiry. Caller holds s.mu.
func (s *session) stopExpiry() {
	if s.expireTimer != nil {
		s.expireTimer.Stop()
		s.expireTimer = nil
	}
}

func newSession(srv *Server, id string, persistent bool) *session {
	return &session{srv: srv, id: id, persistent: persistent, subs: make(map[string]subscription)}
}

// deliver hands m to the session at the given QoS. It never blocks: a message that cannot be
// written now is queued (QoS 1/2, or QoS 0 for offline persistent sessions when configured) or
// dropped and counted. It reports whether a connected session's queue is now above its
// high-water mark, so that the publisher holds back (see stall).
func (s *session) deliver(m *Message, qos packet.QoS, retain bool, enc *encCache) (congested bool) {
	if s.inline != nil {
		s.inline.deliver(m, qos, retain)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conn
	if qos == packet.QoS0 {
		switch {
		case c != nil:
			if !c.writePublish0(m, retain, enc) {
				s.srv.stats.dropped.Add(1)
			}
		case s.srv.opts.QueueQoS0 && s.persistent:
			if s.queueFull(m) {
				s.srv.stats.dropped.Add(1)
				return false
			}
			s.enqueue(m, qos, retain) // in memory only: QoS 0 is never written to disk
		}
		return false
	}
	if c != nil && s.qlen() == 0 && len(s.inflight) < s.window(c) && !c.outFull() {
		if s.srv.persist.enqueue(s, m, qos, retain) {
			s.send(c, m, qos, retain)
		} else {
			s.srv.stats.dropped.Add(1)
		}
		return false
	}
	if s.queueFull(m) {
		s.srv.stats.dropped.Add(1)
		return s.congested()
	}
	if s.srv.persist.enqueue(s, m, qos, retain) {
		s.enqueue(m, qos, retain)
	} else {
		s.srv.stats.dropped.Add(1)
	}
	return s.congested()
}

// window is the number of QoS 1/2 messages that may be in flight to c: the broker's limit, or
// the client's smaller 5.0 Receive Maximum.
func (s *session) window(c *conn) int {
	if c.sendQuota > 0 && c.sendQuota < s.srv.opts.MaxInflight {
		return c.sendQuota
	}
	return s.srv.opts.MaxInflight
}

// send assigns a packet id, records m as in flight and writes it. Caller holds s.mu.
func (s *session) send(c *conn, m *Message, qos packet.QoS, retain bool) {
	if qos == packet.QoS0 {
		if !c.writePublish(m, 0, 0, false, retain) {
			s.srv.stats.dropped.Add(1)
		}
		return
	}
	id := s.allocID()
	s.inflight = append(s.inflight, inflight{id: id, msg: m, qos: qos, retain: retain})
	s.srv.persist.inflight(s, m, id, false)
	if m = s.srv.persist.load(m); m != nil {
		// At QoS 2 the packet id must be on disk before the PUBLISH leaves [MQTT-4.3.3-9].
		c.queuePublish(m, qos, id, false, retain, qos == packet.QoS2 && s.srv.persist.syncsIDs(s))
	}
}

// allocID returns a packet id not used by any in-flight message [MQTT-2.3.1-4]. The window is
// at most 65535 messages, so a free id always exists.
func (s *session) allocID() uint16 {
	for {
		s.nextID++
		if s.nextID == 0 {
			s.nextID = 1
		}
		if s.findInflight(s.nextID) < 0 {
			return s.nextID
		}
	}
}

// findInflight returns the index of id in s.inflight, or -1.
func (s *session) findInflight(id uint16) int {
	for i := range s.inflight {
		if s.inflight[i].id == id {
			return i
		}
	}
	return -1
}

// queueFull reports whether m would exceed the session queue's limits. Caller holds s.mu.
func (s *session) queueFull(m *Message) bool {
	o := &s.srv.opts
	return o.MaxQueuedMessages > 0 && s.qlen() >= o.MaxQueuedMessages ||
		o.MaxQueuedBytes > 0 && s.qbytes+int64(len(m.Payload)) > o.MaxQueuedBytes
}

// enqueue appends to the session queue; the caller checked queueFull. Caller holds s.mu.
func (s *session) enqueue(m *Message, qos packet.QoS, retain bool) {
	if s.qhead > 0 && s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
	}
	s.queue = append(s.queue, pending{msg: m, qos: qos, retain: retain})
	s.qbytes += int64(len(m.Payload))
	s.srv.stats.queued.Add(1)
}

func (s *session) qlen() int { return len(s.queue) - s.qhead }

// dequeue pops the oldest queued message. Caller holds s.mu and checked qlen() > 0.
func (s *session) dequeue() pending {
	p := s.queue[s.qhead]
	s.queue[s.qhead] = pending{}
	s.qhead++
	s.qbytes -= int64(len(p.msg.Payload))
	s.srv.stats.queued.Add(-1)
	if s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
	} else if s.qhead > 1024 && s.qhead*2 > len(s.queue) {
		n := copy(s.queue, s.queue[s.qhead:])
		clear(s.queue[n:])
		s.queue, s.qhead = s.queue[:n], 0
	}
	return p
}

// fill moves queued messages into the connection while the in-flight window and the output
// buffer have room. Caller holds s.mu.
func (s *session) fill() {
	c := s.conn
	if c == nil {
		return
	}
	for s.qlen() > 0 {
		p := s.queue[s.qhead]
		if p.qos > 0 && len(s.inflight) >= s.window(c) || c.outFull() {
			return
		}
		s.dequeue()
		s.send(c, p.msg, p.qos, p.retain)
	}
}

// resume re-sends in-flight messages to a reconnected client, PUBLISH with DUP set or PUBREL
// for those already released [MQTT-4.4.0-1], then drains the queue. Caller holds s.mu.
func (s *session) resume(c *conn) {
	if len(s.inflight) > 0 && s.srv.persist.syncsIDs(s) {
		// The QoS 2 state re-sent below (packet ids, releases) may not have reached the disk
		// if the last connection died first; it must before the client sees it (see write).
		if err := s.srv.persist.sync(); err != nil {
			s.srv.log.Error("persistence: sync failed; in-flight messages not re-sent", "client", s.id, "err", err)
			return
		}
	}
	for i := range s.inflight {
		f := &s.inflight[i]
		if f.released {
			c.writeAck(packet.PUBREL, f.id, 0)
		} else if m := s.srv.persist.load(f.msg); m != nil {
			c.writePublish(m, f.qos, f.id, true, f.retain) // [MQTT-3.3.1-1] DUP on resend
		}
	}
	s.fill()
}

// acked handles PUBACK (QoS 1) and PUBCOMP (QoS 2) for id: the message is done.
func (s *session) acked(id uint16, kind packet.Type) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findInflight(id)
	if i < 0 {
		return
	}
	f := s.inflight[i]
	if kind == packet.PUBACK && f.qos != packet.QoS1 || kind == packet.PUBCOMP && !f.released {
		return // wrong ack for this id; ignore as Mosquitto does
	}
	s.inflight = slices.Delete(s.inflight, i, i+1)
	s.progress.Add(1)
	s.srv.persist.done(s, f.msg)
	s.fill()
}

// received handles PUBREC for id: it answers PUBREL and waits for PUBCOMP. It reports whether
// id was known.
func (s *session) received(id uint16) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findInflight(id)
	if i < 0 || s.inflight[i].qos != packet.QoS2 {
		return false
	}
	s.inflight[i].released = true
	s.progress.Add(1)
	s.srv.persist.inflight(s, s.inflight[i].msg, id, true)
	return true
}

// addSub records a subscription; it returns true if the filter is new for this session.
// Caller holds s.mu.
func (s *session) addSub(filter string, sub subscription) bool {
	_, had := s.subs[filter]
	s.subs[filter] = sub
	s.nsubs.Store(int32(len(s.subs)))
	s.srv.subs.Add(filter, s, sub)
	return !had
}

// removeSub removes a subscription; it returns true if it existed. Caller holds s.mu.
func (s *session) removeSub(filter string) bool {
	if _, ok := s.subs[filter]; !ok {
		return false
	}
	delete(s.subs, filter)
	s.nsubs.Store(int32(len(s.subs)))
	s.srv.subs.Remove(filter, s)
	return true
}

// discard removes every subscription and drops queued and in-flight messages: the session is
// being thrown away (clean session, or replaced by a clean start). Caller holds s.mu.
func (s *session) discard() {
	if s.stored {
		s.srv.persist.deleteSession(s.id)
		s.stored = false
	}
	for f := range s.subs {
		s.srv.subs.Remove(f, s)
	}
	clear(s.subs)
	s.nsubs.Store(0)
	s.srv.stats.queued.Add(-int64(s.qlen()))
	s.queue, s.qhead, s.qbytes = nil, 0, 0
	s.inflight = nil
	s.inQoS2 = nil
}
