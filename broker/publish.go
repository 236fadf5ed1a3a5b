package broker

import (
	"strings"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// handlePublish routes an incoming PUBLISH and acknowledges it by its QoS.
func (c *conn) handlePublish(p *packet.Publish) error {
	if p.Properties != nil && p.Properties.TopicAlias != nil {
		// We advertise no Topic Alias Maximum, so any alias is invalid [MQTT-3.3.2-9].
		return packet.ErrTopicAliasInvalid
	}
	c.srv.stats.messagesReceived.Add(1)
	allowed := c.canPublish(p.Topic)
	m := &Message{Topic: p.Topic, Payload: p.Payload, QoS: p.QoS, Retain: p.Retain, Properties: forwardProps(p.Properties)}
	switch p.QoS {
	case packet.QoS0:
		if allowed {
			c.srv.publish(m, c.sess, c.router())
		}
	case packet.QoS1:
		if allowed {
			c.srv.publish(m, c.sess, c.router())
		}
		return c.ack(packet.PUBACK, p.PacketID, ackCode(allowed)) // [MQTT-4.3.2-2]
	case packet.QoS2:
		// Method A of [MQTT-4.3.3-2]: deliver on PUBLISH, remember the id until PUBREL so a
		// resent PUBLISH (DUP) is not delivered twice.
		s := c.sess
		s.mu.Lock()
		_, seen := s.inQoS2[p.PacketID]
		if !seen {
			if s.inQoS2 == nil {
				s.inQoS2 = make(map[uint16]struct{})
			}
			s.inQoS2[p.PacketID] = struct{}{}
			c.srv.persist.inbound(s, p.PacketID, true)
		}
		s.mu.Unlock()
		if !seen && allowed {
			c.srv.publish(m, c.sess, c.router())
		}
		return c.ack(packet.PUBREC, p.PacketID, ackCode(allowed))
	}
	return nil
}

// ackCode is the 5.0 reason code of the ack for a publish that was or was not authorized.
func ackCode(allowed bool) byte {
	if allowed {
		return packet.CodeSuccess
	}
	return packet.ErrNotAuthorized.Value
}

// canPublish applies the Authorizer and refuses client publishes into $SYS.
func (c *conn) canPublish(name string) bool {
	if strings.HasPrefix(name, "$SYS") {
		return false
	}
	a := c.srv.opts.Authorizer
	return a == nil || a.CanPublish(c.info, name)
}

// forwardProps returns the properties a subscriber receives: those of the PUBLISH without
// the ones that only concern the hop from the publisher (topic alias, subscription ids).
func forwardProps(p *packet.Properties) *packet.Properties {
	if p == nil {
		return nil
	}
	if p.TopicAlias == nil && p.SubscriptionIDs == nil {
		return p
	}
	q := *p
	q.TopicAlias, q.SubscriptionIDs = nil, nil
	return &q
}

// handleAck handles PUBACK, PUBREC, PUBREL and PUBCOMP from the client.
func (c *conn) handleAck(a *packet.Ack) error {
	s := c.sess
	switch a.Kind {
	case packet.PUBACK, packet.PUBCOMP:
		s.acked(a.PacketID, a.Kind)
	case packet.PUBREC:
		if isV5(c.version) && a.ReasonCode >= 0x80 {
			s.acked(a.PacketID, packet.PUBACK) // 5.0: a failed PUBREC ends the exchange
			return nil
		}
		code := packet.CodeSuccess
		if !s.received(a.PacketID) {
			code = packet.ErrPacketIDNotFound.Value
		}
		// Held until the release is on disk: resumed after a crash, the exchange goes on
		// with PUBREL, never with the PUBLISH again [MQTT-4.3.3-4].
		return c.ack(packet.PUBREL, a.PacketID, code)
	case packet.PUBREL:
		s.mu.Lock()
		_, ok := s.inQoS2[a.PacketID]
		if ok {
			delete(s.inQoS2, a.PacketID)
			c.srv.persist.inbound(s, a.PacketID, false)
		}
		s.mu.Unlock()
		code := packet.CodeSuccess
		if !ok {
			code = packet.ErrPacketIDNotFound.Value
		}
		// Held until the id's release is on disk: after a crash, a publisher that reuses the
		// id gets its new message delivered, not taken for a duplicate [MQTT-4.3.3-9].
		return c.ack(packet.PUBCOMP, a.PacketID, code)
	}
	return nil
}

// router is per-publisher scratch space, so routing allocates nothing in steady state.
type router struct {
	targets   []target
	seen      map[*session]int
	enc       encCache
	congested []*session // connected subscribers this publish left above their high-water mark
}

// encCache holds one publish's QoS 0 encoding per protocol version, so fanning a message out
// to many subscribers encodes it once per version and copies bytes after that.
type encCache struct {
	on  bool      // more than one target: worth caching
	buf []byte    // backing store, reused from publish to publish
	at  [6][2]int // per version: start and end in buf; end 0 means not encoded yet
}

// reset prepares the cache for a new message.
func (e *encCache) reset(on bool) {
	e.on, e.buf, e.at = on, e.buf[:0], [6][2]int{}
}

// get returns the cached encoding for version v, or nil.
func (e *encCache) get(v packet.Version) []byte {
	if e == nil || !e.on || int(v) >= len(e.at) || e.at[v][1] == 0 {
		return nil
	}
	return e.buf[e.at[v][0]:e.at[v][1]]
}

// put remembers b as the encoding for version v.
func (e *encCache) put(v packet.Version, b []byte) {
	if e == nil || !e.on || int(v) >= len(e.at) {
		return
	}
	start := len(e.buf)
	e.buf = append(e.buf, b...)
	e.at[v] = [2]int{start, len(e.buf)}
}

type target struct {
	s   *session
	sub subscription
}

// publish routes m to every matching subscription and updates the retained store. from is the
// publishing session (nil for the broker itself); r is the caller's scratch space.
func (s *Server) publish(m *Message, from *session, r *router) {
	if m.Retain {
		s.persist.retained(m) // first: it stores m once, before m is shared
		s.retained.set(m)     // [MQTT-3.3.1-5], an empty payload clears [MQTT-3.3.1-10]
	}
	r.targets = r.targets[:0]
	dedup := false
	s.subs.Match(m.Topic, func(sess *session, sub subscription) {
		if sub.noLocal && sess == from {
			return // [MQTT-3.8.3-3]
		}
		if sess.nsubs.Load() > 1 {
			dedup = true
		}
		r.targets = append(r.targets, target{sess, sub})
	})
	if dedup {
		r.targets = r.dedup(r.targets)
	}
	r.enc.reset(len(r.targets) > 1)
	for i := range r.targets {
		t := &r.targets[i]
		qos := min(m.QoS, t.sub.qos) // [MQTT-3.8.4-8]
		retain := t.sub.retainAsPublished && m.Retain
		if t.s.deliver(m, qos, retain, &r.enc) { // [MQTT-3.3.1-9]: retain 0 for established subscriptions
			r.congested = append(r.congested, t.s)
		}
		t.s = nil
	}
	if len(r.targets) == 0 {
		s.stats.noSubscribers.Add(1)
	}
}

// dedup merges the targets of one session reached through several overlapping filters into a
// single delivery at the highest granted QoS [MQTT-3.3.5-1].
func (r *router) dedup(ts []target) []target {
	if r.seen == nil {
		r.seen = make(map[*session]int)
	}
	out := ts[:0]
	for _, t := range ts {
		if i, ok := r.seen[t.s]; ok {
			o := &out[i]
			o.sub.qos = max(o.sub.qos, t.sub.qos)
			o.sub.retainAsPublished = o.sub.retainAsPublished || t.sub.retainAsPublished
			continue
		}
		r.seen[t.s] = len(out)
		out = append(out, t)
	}
	clear(r.seen)
	return out
}
