package mqtt

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// Publish sends payload to topicName and returns when the QoS handshake is done: QoS 0 once the
// message is handed to the connection's writer (Disconnect flushes it), QoS 1 on PUBACK, QoS 2
// on PUBCOMP. Options: a QoS (default QoS0), Retain, WithProperties.
//
// While the client is disconnected, or over the server's Receive Maximum, messages wait in a
// bounded queue (Options.QueueSize) and are sent in order when possible; a QoS 0 message is
// then copied and Publish returns at once. When the queue is full Publish waits for room, or
// returns ErrQueueFull with Options.FailFast. If ctx ends before a QoS 1/2 message was sent it
// is dropped; if it was already sent, delivery continues in the background and Publish
// returns ctx's error. With MQTT 5, a PUBACK/PUBREC reason code of 0x80 or above is returned
// as an error wrapping ErrPublishRefused and the packet.Code.
//
// Publish does not modify payload and does not keep it after it returns.
func (c *Client) Publish(ctx context.Context, topicName string, payload []byte, opts ...PublishOption) error {
	cfg, err := parsePublishOptions(opts)
	if err != nil {
		return err
	}
	if err := validName(topicName); err != nil {
		return err
	}
	pub := packet.Publish{QoS: packet.QoS(cfg.qos), Retain: cfg.retain, Topic: topicName, Payload: payload}
	if c.opts.Version >= V5 {
		pub.Properties = cfg.props
	}
	for {
		c.mu.Lock()
		if c.closeErr != nil {
			err := c.closeErr
			c.mu.Unlock()
			return err
		}
		if err := c.checkLimits(&pub); err != nil {
			c.mu.Unlock()
			return err
		}
		if cn := c.live(); cn != nil && len(c.queue) == 0 && (pub.QoS == 0 || c.canSend()) {
			if pub.QoS == 0 {
				c.mu.Unlock()
				if cn.sendPublish(&pub, true) == nil {
					return nil
				}
				continue // The connection just died: queue or wait for the next one.
			}
			f := c.newFlight(pub)
			c.startFlight(f)
			p := f.pub
			c.mu.Unlock()
			// On failure the message stays in flight and is resent on the next connection.
			_ = cn.sendPublish(&p, true)
			return c.await(ctx, f)
		}
		if len(c.queue) < c.opts.QueueSize {
			var f *flight
			if pub.QoS == 0 {
				f = &flight{pub: pub}
				f.pub.Payload = bytes.Clone(payload)
				f.pub.Properties = cloneProperties(pub.Properties)
			} else {
				f = c.newFlight(pub)
			}
			c.queue = append(c.queue, f)
			c.mu.Unlock()
			if pub.QoS == 0 {
				return nil
			}
			return c.await(ctx, f)
		}
		if c.opts.FailFast {
			c.mu.Unlock()
			return ErrQueueFull
		}
		wake := c.wakeChan()
		c.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// newFlight returns a flight for a QoS 1/2 message, from the client's pool: a flight and its
// channel are three allocations, a third of the cost of a QoS 1 publish.
func (c *Client) newFlight(p packet.Publish) *flight {
	f, _ := c.flights.Get().(*flight)
	if f == nil {
		f = &flight{done: make(chan error, 1)}
	}
	f.pub = p
	return f
}

// await waits for the outcome of a QoS 1/2 message. A flight that completed went out of the
// session before its outcome was sent, so it is recycled.
func (c *Client) await(ctx context.Context, f *flight) error {
	select {
	case err := <-f.done:
		*f = flight{done: f.done}
		c.flights.Put(f)
		return err
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case err := <-f.done:
		return err
	default:
	}
	if f.pub.PacketID == 0 {
		if i := slices.Index(c.queue, f); i >= 0 {
			c.queue = slices.Delete(c.queue, i, i+1)
			c.broadcast()
		}
		return ctx.Err()
	}
	// In flight: the client keeps it until the handshake completes, so it needs its own copy.
	f.pub.Payload = bytes.Clone(f.pub.Payload)
	f.pub.Properties = cloneProperties(f.pub.Properties)
	return fmt.Errorf("%w (the message was sent and may still be delivered)", ctx.Err())
}

// checkLimits applies the server's MQTT 5 limits to a message. Called with c.mu held.
func (c *Client) checkLimits(p *packet.Publish) error {
	if QoS(p.QoS) > c.limits.maxQoS {
		return fmt.Errorf("%w: %w", ErrPublishRefused, packet.ErrQoSNotSupported) // [MQTT-3.2.2-11]
	}
	if p.Retain && c.limits.noRetain {
		return fmt.Errorf("%w: %w", ErrPublishRefused, packet.ErrRetainNotSupported) // [MQTT-3.2.2-14]
	}
	if max := c.limits.maxPacket; max > 0 && len(p.Topic)+len(p.Payload) > int(max) {
		// A cheap lower bound of the packet size; the exact size is checked by the server.
		return ErrMessageTooLarge // [MQTT-3.1.2-24]
	}
	return nil
}

// validName checks a topic name for publishing.
func validName(name string) error {
	if err := topic.ValidName(name); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrBadTopic, name, err)
	}
	return nil
}

// cloneProperties deep-copies the parts of p a caller may reuse.
func cloneProperties(p *Properties) *Properties {
	if p == nil {
		return nil
	}
	q := *p
	q.CorrelationData = bytes.Clone(p.CorrelationData)
	q.User = slices.Clone(p.User)
	q.SubscriptionIDs = slices.Clone(p.SubscriptionIDs)
	q.AuthData = bytes.Clone(p.AuthData)
	return &q
}
