package broker

import (
	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// handleSubscribe grants or refuses each filter, answers SUBACK, then sends the retained
// messages of the granted filters.
func (c *conn) handleSubscribe(p *packet.Subscribe) error {
	s := c.sess
	codes := make([]byte, len(p.Subscriptions))
	type grant struct {
		filter string
		qos    packet.QoS
		isNew  bool
		rh     byte
	}
	granted := make([]grant, 0, len(p.Subscriptions))

	s.mu.Lock()
	for i, sub := range p.Subscriptions {
		code := c.checkFilter(sub.Filter)
		if code == 0 {
			q := min(sub.QoS, packet.QoS2)
			isNew := s.addSub(sub.Filter, subscription{qos: q, noLocal: sub.NoLocal, retainAsPublished: sub.RetainAsPublished})
			granted = append(granted, grant{sub.Filter, q, isNew, sub.RetainHandling})
			code = byte(q) // [MQTT-3.9.3-1]
		}
		codes[i] = code
	}
	c.srv.persist.saveSession(s)
	s.mu.Unlock()
	if err := c.srv.persist.sync(); err != nil { // subscriptions are durable before SUBACK
		return packet.ErrUnspecified
	}

	c.writeControl(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes}) // [MQTT-3.8.4-1]
	for _, g := range granted {
		// 5.0 Retain Handling: 0 always, 1 only for a new subscription, 2 never [MQTT-3.3.1-9..11].
		if g.rh == 2 || g.rh == 1 && !g.isNew {
			continue
		}
		c.srv.retained.match(g.filter, func(m *Message) {
			s.deliver(m, min(m.QoS, g.qos), true, nil) // [MQTT-3.3.1-6] [MQTT-3.3.1-8]
		})
	}
	return nil
}

// checkFilter returns 0 if the client may subscribe to filter, else the SUBACK failure code.
func (c *conn) checkFilter(filter string) byte {
	fail := func(v5 packet.Code) byte {
		if isV5(c.version) {
			return v5.Value
		}
		return packet.SubackFailure
	}
	if err := topic.ValidFilter(filter); err != nil {
		return fail(packet.ErrTopicFilterInvalid)
	}
	if topic.IsShared(filter) {
		return fail(packet.ErrSharedSubNotSupported)
	}
	if a := c.srv.opts.Authorizer; a != nil && !a.CanSubscribe(c.info, filter) {
		return fail(packet.ErrNotAuthorized)
	}
	return 0
}

// handleUnsubscribe removes the filters and answers UNSUBACK [MQTT-3.10.4-4].
func (c *conn) handleUnsubscribe(p *packet.Unsubscribe) error {
	s := c.sess
	var codes []byte
	if isV5(c.version) {
		codes = make([]byte, len(p.Filters))
	}
	s.mu.Lock()
	for i, f := range p.Filters {
		ok := s.removeSub(f)
		if codes != nil && !ok {
			codes[i] = packet.CodeNoSubscriptionExisted
		}
	}
	c.srv.persist.saveSession(s)
	s.mu.Unlock()
	c.writeControl(&packet.Unsuback{PacketID: p.PacketID, ReasonCodes: codes})
	return nil
}
