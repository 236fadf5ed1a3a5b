package broker

import (
	"time"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Wills. A will is published when a connection ends abnormally [MQTT-3.1.2-8]. A 5.0 will
// with a Will Delay Interval on a session that outlives its connection waits: it goes out
// when the delay has passed or the session ends, whichever comes first, and not at all if
// the client reconnects to the session before [MQTT-3.1.3-9]. A waiting will is kept on disk
// with the session, so a restart does not lose it.

// willMessage is the message a will publishes, without the properties that only concern the
// broker (the delay).
func willMessage(w *packet.Will) *Message {
	props := w.Properties
	if props != nil && props.WillDelay != nil {
		cp := *props
		cp.WillDelay = nil
		props = &cp
	}
	return &Message{Topic: w.Topic, Payload: w.Payload, QoS: w.QoS, Retain: w.Retain, Properties: props}
}

// endWill handles the will of a connection that ended abnormally: published now, delayed, or
// dropped when the session was already taken over and the will had a delay.
func (s *Server) endWill(c *conn) {
	var delay time.Duration
	if isV5(c.version) && c.will.Properties != nil && c.will.Properties.WillDelay != nil {
		delay = time.Duration(*c.will.Properties.WillDelay) * time.Second
	}
	m := willMessage(c.will)
	sess := c.sess
	if delay > 0 {
		sess.mu.Lock()
		switch {
		case sess.conn != c:
			// Another connection has the session already: it came back in time [MQTT-3.1.3-9].
			sess.mu.Unlock()
			return
		case sess.persistent:
			s.delayWill(sess, m, time.Now().Add(delay))
			sess.mu.Unlock()
			return
		}
		sess.mu.Unlock() // the session ends with the connection: the will goes out now
	}
	var r router
	s.publish(m, sess, &r)
}

// delayWill arms sess's will to fire at due. Caller holds sess.mu.
func (s *Server) delayWill(sess *session, m *Message, due time.Time) {
	sess.stopWill()
	sess.will = m
	sess.willTimer = time.AfterFunc(time.Until(due), func() { s.fireWill(sess) })
	s.persist.setWill(sess, m, due)
}

// fireWill publishes sess's waiting will, if it still has one.
func (s *Server) fireWill(sess *session) {
	sess.mu.Lock()
	m := sess.takeWill()
	sess.mu.Unlock()
	if m != nil && !s.isClosed() {
		var r router
		s.publish(m, sess, &r)
	}
}

// takeWill disarms and returns the waiting will, or nil. Caller holds sess.mu.
func (s *session) takeWill() *Message {
	m := s.will
	s.stopWill()
	if m != nil {
		s.will = nil
		s.srv.persist.setWill(s, nil, time.Time{})
	}
	return m
}

// stopWill stops the will's timer; the will itself stays. Caller holds s.mu.
func (s *session) stopWill() {
	if s.willTimer != nil {
		s.willTimer.Stop()
		s.willTimer = nil
	}
}

// setWill records (m non-nil) or clears the waiting will of a persistent session.
func (p *persist) setWill(sess *session, m *Message, due time.Time) {
	if !p.on(sess) {
		return
	}
	var w *store.Will
	if m != nil {
		w = &store.Will{Due: due.Unix(), Msg: store.Message{Topic: m.Topic, Payload: m.Payload,
			QoS: byte(m.QoS), Retain: m.Retain, Props: encodeProps(m.Properties)}}
	}
	if err := p.st.SetWill(sess.id, w); err != nil {
		p.fail("set will", err)
	}
}
