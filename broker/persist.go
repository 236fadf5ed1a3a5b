package broker

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// maxHeldAcks bounds the acknowledgements a connection holds back while it waits for their
// messages to reach the disk; at the bound it syncs early.
const maxHeldAcks = 256

// persist connects the broker to its durable store. A nil *persist means persistence is off,
// and every method is then a no-op, so callers need no checks. What goes to disk: persistent
// sessions (subscriptions, their QoS 1/2 queue and in-flight state, incoming QoS 2 ids) and
// retained messages. Clean sessions and QoS 0 deliveries cost nothing on disk.
//
// Every store call for a session is made under that session's lock, so the log's order is
// the session's order.
type persist struct {
	st        *store.Store
	always    bool // fsync before acknowledging (store.FsyncAlways)
	srv       *Server
	refused   atomic.Uint64 // store writes refused (disk limit, I/O error)
	closeOnce sync.Once
}

// close closes the store once; later calls return nil.
func (p *persist) close() error {
	if p == nil {
		return nil
	}
	var err error
	p.closeOnce.Do(func() { err = p.st.Close() })
	return err
}

// on reports whether sess's state is kept on disk.
func (p *persist) on(sess *session) bool { return p != nil && sess.persistent && sess.inline == nil }

// fail counts and logs a refused store write.
func (p *persist) fail(what string, err error) {
	if p.refused.Add(1)%1000 == 1 { // log the first and every thousandth
		p.srv.log.Error("persistence: store write refused", "op", what, "err", err, "refused", p.refused.Load())
	}
}

// message stores m once and returns its id, or 0 if the store refused it. Only the goroutine
// that publishes m calls this before m is shared, so m.sid needs no lock.
func (p *persist) message(m *Message) store.MsgID {
	if m.sid != 0 {
		return m.sid
	}
	id, err := p.st.PutMessage(store.Message{Topic: m.Topic, Payload: m.Payload, QoS: byte(m.QoS), Retain: m.Retain, Props: encodeProps(m.Properties)})
	if err != nil {
		p.fail("put message", err)
		return 0
	}
	m.sid = id
	return id
}

// enqueue records that sess holds m (queued or about to be sent). It reports false when the
// store refused (disk full), and the caller drops and counts the message.
func (p *persist) enqueue(sess *session, m *Message, qos packet.QoS, retain bool) bool {
	if !p.on(sess) || qos == 0 {
		return true
	}
	id := p.message(m)
	if id == 0 {
		return false
	}
	err := p.st.Enqueue(sess.id, store.Queued{Msg: id, QoS: byte(qos), Retain: retain})
	if err != nil && !errors.Is(err, store.ErrExists) { // exists: e.g. one retained message twice
		p.fail("enqueue", err)
		return false
	}
	return true
}

// inflight records the packet id assigned to m for sess, or that its PUBREL was sent.
func (p *persist) inflight(sess *session, m *Message, pid uint16, released bool) {
	if p.on(sess) && m.sid != 0 {
		if err := p.st.SetInflight(sess.id, m.sid, pid, released); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.fail("set in-flight", err)
		}
	}
}

// done records that sess no longer holds m (acknowledged).
func (p *persist) done(sess *session, m *Message) {
	if p.on(sess) && m.sid != 0 {
		// Not found: sent while the session was not yet persistent.
		if err := p.st.Dequeue(sess.id, m.sid); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.fail("dequeue", err)
		}
	}
}

// inbound records (add) or forgets an incoming QoS 2 packet id awaiting PUBREL.
func (p *persist) inbound(sess *session, pid uint16, add bool) {
	if !p.on(sess) {
		return
	}
	var err error
	if add {
		err = p.st.AddInbound(sess.id, pid)
	} else {
		err = p.st.RemoveInbound(sess.id, pid)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrExists) {
		p.fail("inbound qos 2", err)
	}
}

// saveSession writes sess's metadata and subscriptions. Caller holds sess.mu.
func (p *persist) saveSession(sess *session) {
	if !p.on(sess) {
		return
	}
	subs := make([]store.Subscription, 0, len(sess.subs))
	for f, sub := range sess.subs {
		subs = append(subs, store.Subscription{Filter: f, QoS: byte(sub.qos), Flags: sub.flags()})
	}
	if err := p.st.PutSession(sess.id, sess.expiry, subs); err != nil {
		p.fail("put session", err)
	}
}

// deleteSession forgets a session that was persistent.
func (p *persist) deleteSession(id string) {
	if p != nil {
		if err := p.st.DeleteSession(id); err != nil {
			p.fail("delete session", err)
		}
	}
}

// disconnected records when a persistent session lost its connection.
func (p *persist) disconnected(sess *session) {
	if p.on(sess) {
		if err := p.st.SessionDisconnected(sess.id, time.Now().Unix()); err != nil {
			p.fail("session disconnected", err)
		}
	}
}

// retained stores or clears the retained message of m's topic. $SYS topics are not kept:
// they are rebuilt at start.
func (p *persist) retained(m *Message) {
	if p == nil || strings.HasPrefix(m.Topic, "$SYS") {
		return
	}
	var err error
	if len(m.Payload) == 0 {
		err = p.st.ClearRetained(m.Topic)
	} else if id := p.message(m); id != 0 {
		err = p.st.SetRetained(m.Topic, id)
	}
	if err != nil {
		p.fail("retained", err)
	}
}

// syncsIDs reports whether the packet ids of QoS 2 messages sent to sess must be on disk
// before they leave: sess is on disk and fsync is "always".
func (p *persist) syncsIDs(sess *session) bool { return p.on(sess) && p.always }

// sync makes everything written so far durable (a no-op unless fsync is "always").
func (p *persist) sync() error {
	if p == nil || !p.always {
		return nil
	}
	return p.st.Sync()
}

// load returns m with its payload read from disk if it was restored lazily, else m itself.
func (p *persist) load(m *Message) *Message {
	if !m.lazy || p == nil {
		return m
	}
	sm, err := p.st.Message(m.sid)
	if err != nil {
		p.srv.log.Error("persistence: cannot read a stored message", "id", uint64(m.sid), "err", err)
		return nil
	}
	return fromStored(sm, m.sid)
}

// fromStored rebuilds a broker message from its stored form.
func fromStored(sm store.Message, id store.MsgID) *Message {
	return &Message{Topic: sm.Topic, Payload: sm.Payload, QoS: packet.QoS(sm.QoS), Retain: sm.Retain, Properties: decodeProps(sm.Props), sid: id}
}

// encodeProps serializes 5.0 message properties for the store, as the properties of an
// otherwise empty 5.0 PUBLISH (the codec is the one place that knows the format).
func encodeProps(pr *packet.Properties) []byte {
	if pr == nil {
		return nil
	}
	b, err := (&packet.Publish{Topic: "p", QoS: 1, PacketID: 1, Properties: pr}).Encode(nil, packet.V5)
	if err != nil {
		return nil
	}
	return b
}

// decodeProps is the inverse of encodeProps.
func decodeProps(b []byte) *packet.Properties {
	if len(b) == 0 {
		return nil
	}
	p, _, err := packet.Decode(b, packet.V5)
	if pub, ok := p.(*packet.Publish); ok && err == nil {
		return pub.Properties
	}
	return nil
}

// heldAck is an acknowledgement waiting for its message to be durable.
type heldAck struct {
	kind packet.Type
	id   uint16
	code byte
}

// ack sends an acknowledgement (PUBACK, PUBREC, PUBREL or PUBCOMP), or holds it until the
// store has synced when fsync is "always": what the acknowledgement tells the client (a
// message received, a QoS 2 step done) is on disk before it leaves.
func (c *conn) ack(kind packet.Type, id uint16, code byte) error {
	p := c.srv.persist
	if p == nil || !p.always {
		c.writeAck(kind, id, code)
		return nil
	}
	c.held = append(c.held, heldAck{kind, id, code})
	if len(c.held) >= maxHeldAcks {
		return c.releaseAcks()
	}
	return nil
}

// releaseAcks syncs the store (one fsync shared with every other connection waiting, group
// commit) and then sends the held acknowledgements. The read loop calls it before waiting for
// more input, so one read's worth of publishes shares one sync.
func (c *conn) releaseAcks() error {
	if len(c.held) == 0 {
		return nil
	}
	if err := c.srv.persist.sync(); err != nil {
		// Unacknowledged, the client will resend after reconnecting: close rather than lie.
		c.srv.log.Error("persistence: sync failed; closing connection", "client", c.info.ClientID, "err", err)
		return packet.ErrUnspecified
	}
	for _, a := range c.held {
		c.writeAck(a.kind, a.id, a.code)
	}
	c.held = c.held[:0]
	return nil
}

// flags packs the subscription options the store keeps opaque.
func (sub subscription) flags() byte {
	var f byte
	if sub.noLocal {
		f |= 1
	}
	if sub.retainAsPublished {
		f |= 2
	}
	return f
}

// subscriptionFrom is the inverse of flags.
func subscriptionFrom(s store.Subscription) subscription {
	return subscription{qos: packet.QoS(s.QoS), noLocal: s.Flags&1 != 0, retainAsPublished: s.Flags&2 != 0}
}
