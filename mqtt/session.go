package mqtt

import (
	"cmp"
	"slices"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// flight is an outgoing message, queued or in flight, or a SUBSCRIBE/UNSUBSCRIBE waiting
// for its ack.
type flight struct {
	pub  packet.Publish // PacketID is non-zero once the message was sent with QoS > 0.
	seq  uint64         // Order of first sending, for resending in order [MQTT-4.6.0-1].
	rel  bool           // QoS 2: PUBREC received and PUBREL sent.
	done chan error     // Receives the outcome; nil when nobody waits (queued QoS 0).

	ctrl   packet.Packet      // *packet.Subscribe or *packet.Unsubscribe; nil for a message.
	reply  chan packet.Packet // Receives the SUBACK or UNSUBACK.
	resub  bool               // A resubscription made by the client itself.
	routes []*route           // The routes a resubscription covers.
}

// session is the client state that outlives connections, guarded by Client.mu.
type session struct {
	ids      map[uint16]*flight // Packet identifiers in use.
	nextID   uint16
	seq      uint64
	queue    []*flight // Messages not sent yet, oldest first.
	inflight int       // QoS 1/2 messages in ids.
	// received holds the packet ids of QoS 2 messages received and not yet released by
	// PUBREL: false while queued for the handler, true once delivered. A PUBLISH repeating
	// such an id is not delivered again [MQTT-4.3.3-2].
	received map[uint16]bool
}

func (s *session) init() {
	s.ids = make(map[uint16]*flight)
	s.received = make(map[uint16]bool)
}

// assignID gives f a free packet identifier [MQTT-2.2.1-3], or reports that all are in use.
func (s *session) assignID(f *flight) (uint16, bool) {
	if len(s.ids) >= 65535 {
		return 0, false
	}
	for {
		s.nextID++
		if s.nextID == 0 {
			s.nextID = 1
		}
		if _, used := s.ids[s.nextID]; !used {
			s.ids[s.nextID] = f
			return s.nextID, true
		}
	}
}

// finish resolves a flight that was in ids with err. Called with c.mu held.
func (c *Client) finish(id uint16, f *flight, err error) {
	delete(c.ids, id)
	if f.ctrl == nil {
		c.inflight--
	}
	if f.done != nil {
		select {
		case f.done <- err:
		default:
		}
	}
	c.pump()
	c.broadcast()
}

// canSend reports whether a QoS 1/2 message may be sent now on the live connection. Called
// with c.mu held.
func (c *Client) canSend() bool {
	return c.live() != nil && c.inflight < int(c.limits.receiveMax) && len(c.ids) < 65535
}

// pump sends queued messages while the connection and the server's quota allow. Called with
// c.mu held.
func (c *Client) pump() {
	cn := c.live()
	sent := 0
	for ; sent < len(c.queue) && cn != nil; sent++ {
		f := c.queue[sent]
		if f.pub.QoS > 0 {
			if !c.canSend() {
				break
			}
			c.startFlight(f)
		}
		p := f.pub
		if cn.sendPublish(&p, false) != nil {
			if f.pub.QoS == 0 {
				// The connection died between pops: keep the message for the next one.
				break
			}
			continue // In flight: resent on reconnect.
		}
		if f.pub.QoS == 0 && f.done != nil {
			f.done <- nil
		}
	}
	if sent > 0 {
		clear(c.queue[:sent])
		c.queue = c.queue[sent:]
		if len(c.queue) == 0 {
			c.queue = nil
		}
		c.broadcast()
	}
}

// startFlight gives a QoS 1/2 message its packet id and sequence number. Called with c.mu
// held after canSend.
func (c *Client) startFlight(f *flight) {
	id, _ := c.assignID(f)
	f.pub.PacketID = id
	c.seq++
	f.seq = c.seq
	c.inflight++
}

// resend queues, on a new connection, every message still in flight, in the order they were
// first sent: PUBLISH again (with DUP when the session was resumed [MQTT-3.3.1-1]) or PUBREL
// for QoS 2 messages the server already received. When the server lost the session, messages
// it had received (PUBREC) count as delivered and the rest are sent as new messages. Control
// requests of the old connection are dropped; their callers retry. Called with c.mu held.
func (c *Client) resend(cn *conn, resumed bool) {
	var list []*flight
	for id, f := range c.ids {
		switch {
		case f.ctrl != nil:
			if f.resub {
				delete(c.ids, id)
			}
		case f.rel && !resumed:
			delete(c.ids, id)
			c.inflight--
			if f.done != nil {
				f.done <- nil
			}
		default:
			list = append(list, f)
		}
	}
	slices.SortFunc(list, func(a, b *flight) int { return cmp.Compare(a.seq, b.seq) })
	for _, f := range list {
		if f.rel {
			_ = cn.sendAck(packet.PUBREL, f.pub.PacketID, 0)
			continue
		}
		p := f.pub
		p.Dup = resumed
		_ = cn.sendPublish(&p, false)
	}
}

// failAll resolves every queued and in-flight message with err. Called with c.mu held.
func (c *Client) failAll(err error) {
	for id, f := range c.ids {
		delete(c.ids, id)
		if f.done != nil {
			select {
			case f.done <- err:
			default:
			}
		}
	}
	for _, f := range c.queue {
		if f.done != nil {
			f.done <- err
		}
	}
	c.queue = nil
	c.inflight = 0
	c.broadcast()
}
