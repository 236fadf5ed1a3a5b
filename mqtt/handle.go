package mqtt

import (
	"fmt"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// inbound is a received message waiting for its handler.
type inbound struct {
	p     *packet.Publish
	epoch uint64 // Session epoch it arrived in; acks from another epoch are not sent.
}

// handle processes one packet read from cn, on cn's reader goroutine. An error ends the
// connection.
func (c *Client) handle(cn *conn, p packet.Packet) error {
	switch p := p.(type) {
	case *packet.Publish:
		return c.handlePublish(cn, p)
	case *packet.Ack:
		return c.handleAck(cn, p)
	case *packet.Suback:
		c.handleReply(p.PacketID, p)
	case *packet.Unsuback:
		c.handleReply(p.PacketID, p)
	case *packet.Pingresp:
	case *packet.Disconnect:
		// [MQTT-3.14.2-1]: the server says why it closes the connection (MQTT 5).
		return fmt.Errorf("%w: %w%s", ErrServerDisconnect, codeOf(p.ReasonCode), reasonString(p.Properties))
	default:
		return fmt.Errorf("%w: unexpected %s", ErrProtocol, p.Type())
	}
	return nil
}

// handlePublish queues a received message for the dispatcher. A QoS 2 message whose packet id
// is still held is a resend and is not delivered twice [MQTT-4.3.3-2]: it is acknowledged
// again if it was delivered, and left to the dispatcher if it is still queued.
func (c *Client) handlePublish(cn *conn, p *packet.Publish) error {
	if p.Properties != nil && p.Properties.TopicAlias != nil {
		if err := cn.resolveAlias(p); err != nil {
			return err
		}
	}
	if p.QoS == packet.QoS2 {
		c.mu.Lock()
		delivered, dup := c.received[p.PacketID]
		if !dup {
			c.received[p.PacketID] = false
		}
		c.mu.Unlock()
		if dup {
			if delivered {
				return ignoreDead(cn.sendAck(packet.PUBREC, p.PacketID, 0))
			}
			return nil
		}
	}
	it := inbound{p: p, epoch: cn.epoch}
	select {
	case c.inbound <- it:
		return nil
	default:
	}
	// The queue is full: wait for the handler, without starving keepalive (see stalled).
	cn.stalled.Store(true)
	defer func() {
		cn.stalled.Store(false)
		cn.lastRecv.Store(time.Now().UnixNano())
	}()
	select {
	case c.inbound <- it:
		return nil
	case <-cn.dead:
		return nil
	case <-c.ctx.Done():
		return nil
	}
}

// resolveAlias applies an MQTT 5 topic alias sent by the server: a PUBLISH with a topic sets
// the alias, one without uses it [MQTT-3.3.2-12]. The server may use aliases only if the
// client allowed them with ConnectProperties.TopicAliasMaximum.
func (cn *conn) resolveAlias(p *packet.Publish) error {
	a := *p.Properties.TopicAlias
	max := cn.c.opts.ConnectProperties
	if a == 0 || max == nil || max.TopicAliasMaximum == nil || a > *max.TopicAliasMaximum {
		return fmt.Errorf("%w: %w", ErrProtocol, packet.ErrTopicAliasInvalid) // [MQTT-3.3.2-9]
	}
	if p.Topic != "" {
		if cn.aliases == nil {
			cn.aliases = make(map[uint16]string)
		}
		cn.aliases[a] = p.Topic
		return nil
	}
	t, ok := cn.aliases[a]
	if !ok {
		return fmt.Errorf("%w: %w", ErrProtocol, packet.ErrTopicAliasInvalid)
	}
	p.Topic = t
	return nil
}

// handleAck processes PUBACK, PUBREC, PUBREL and PUBCOMP.
func (c *Client) handleAck(cn *conn, a *packet.Ack) error {
	if a.Kind == packet.PUBREL {
		// [MQTT-4.3.3-11]: release the id and complete the QoS 2 exchange.
		c.mu.Lock()
		_, known := c.received[a.PacketID]
		delete(c.received, a.PacketID)
		c.mu.Unlock()
		var code byte
		if !known && cn.version >= packet.V5 {
			code = packet.ErrPacketIDNotFound.Value
		}
		return ignoreDead(cn.sendAck(packet.PUBCOMP, a.PacketID, code))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.ids[a.PacketID]
	if f == nil || f.ctrl != nil {
		if a.Kind == packet.PUBREC {
			// Unknown id: let the server release it [MQTT-4.3.3].
			var code byte
			if cn.version >= packet.V5 {
				code = packet.ErrPacketIDNotFound.Value
			}
			return ignoreDead(cn.sendAck(packet.PUBREL, a.PacketID, code))
		}
		return nil // A late ack of a message already resolved; harmless.
	}
	var err error
	if a.ReasonCode >= 0x80 {
		err = fmt.Errorf("%w: %w%s", ErrPublishRefused, codeOf(a.ReasonCode), reasonString(a.Properties))
	}
	switch a.Kind {
	case packet.PUBACK:
		if f.pub.QoS != packet.QoS1 {
			return fmt.Errorf("%w: PUBACK for a QoS %d message", ErrProtocol, f.pub.QoS)
		}
		c.finish(a.PacketID, f, err)
	case packet.PUBREC:
		if f.pub.QoS != packet.QoS2 {
			return fmt.Errorf("%w: PUBREC for a QoS %d message", ErrProtocol, f.pub.QoS)
		}
		if err != nil {
			c.finish(a.PacketID, f, err) // A refusing PUBREC ends the exchange [MQTT-4.3.3-4].
			return nil
		}
		f.rel = true
		return ignoreDead(cn.sendAck(packet.PUBREL, a.PacketID, 0))
	case packet.PUBCOMP:
		if f.pub.QoS != packet.QoS2 {
			return fmt.Errorf("%w: PUBCOMP for a QoS %d message", ErrProtocol, f.pub.QoS)
		}
		if !f.rel {
			return nil // Ignore: the server skipped PUBREC; wait for the proper exchange.
		}
		c.finish(a.PacketID, f, err)
	}
	return nil
}

// handleReply hands a SUBACK or UNSUBACK to the waiting request.
func (c *Client) handleReply(id uint16, p packet.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.ids[id]
	if f == nil || f.ctrl == nil {
		return
	}
	delete(c.ids, id)
	if f.resub {
		c.resubscribed(f, p)
		return
	}
	f.reply <- p
}

// ignoreDead drops the error of a send on a connection that is already ending: the reader
// notices the end by itself.
func ignoreDead(err error) error {
	if err == errConnDead {
		return nil
	}
	return err
}

// dispatch runs handlers for received messages, one at a time in arrival order, and
// acknowledges QoS 1/2 messages after their handlers returned.
func (c *Client) dispatch() {
	defer c.wg.Done()
	for {
		select {
		case it := <-c.inbound:
			c.deliver(it)
		case <-c.ctx.Done():
			return
		}
	}
}

// deliver runs the handlers for one message and acknowledges it.
func (c *Client) deliver(it inbound) {
	p := it.p
	m := &Message{
		Topic:      p.Topic,
		Payload:    p.Payload,
		QoS:        QoS(p.QoS),
		Retain:     p.Retain,
		Dup:        p.Dup,
		PacketID:   p.PacketID,
		Properties: p.Properties,
	}
	if !c.route(m) && c.opts.DefaultHandler != nil {
		c.opts.DefaultHandler(m)
	}
	if p.QoS == packet.QoS0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if it.epoch != c.epoch {
		return // The server lost the session: this id now means something else.
	}
	kind := packet.PUBACK
	if p.QoS == packet.QoS2 {
		kind = packet.PUBREC
		if _, ok := c.received[p.PacketID]; ok {
			c.received[p.PacketID] = true
		}
	}
	if cn := c.live(); cn != nil {
		// [MQTT-4.6.0-2]/[MQTT-4.6.0-3]: acks leave in the order the messages arrived.
		_ = cn.sendAck(kind, p.PacketID, 0)
	}
}
