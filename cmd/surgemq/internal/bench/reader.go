package bench

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// endpoint is one connection with its publishing side, subscribing side, or both (mesh).
type endpoint struct {
	c   *client
	pub *publisher
	sub *subscriber
}

// readLoop is the connection's only reader: it accounts deliveries and acks and writes the
// acknowledgements it owes, batched per read. It returns nil when the connection was closed
// on purpose.
func (e *endpoint) readLoop() error {
	c := e.c
	for {
		if err := c.flushAcks(); err != nil {
			return e.ended(err)
		}
		p, err := c.fr.next()
		if err != nil {
			return e.ended(err)
		}
		switch p := p.(type) {
		case *packet.Publish:
			if e.sub == nil {
				return fmt.Errorf("%s: %w: PUBLISH to a client that did not subscribe", c.name, ErrProtocol)
			}
			e.sub.onPublish(p)
		case *packet.Ack:
			switch p.Kind {
			case packet.PUBREL: // QoS 2 delivery to our subscriber [MQTT-4.3.3-11]
				c.queueAck(packet.PUBCOMP, p.PacketID)
			default:
				if e.pub == nil {
					return fmt.Errorf("%s: %w: %s to a client that did not publish", c.name, ErrProtocol, p)
				}
				if e.pub.onAck(p.Kind, p.PacketID, p.ReasonCode) {
					c.queueAck(packet.PUBREL, p.PacketID) // [MQTT-4.3.3-4]
				}
			}
		case *packet.Disconnect:
			if c.closing.Load() {
				return nil
			}
			return fmt.Errorf("%s: broker sent DISCONNECT with reason 0x%02x", c.name, p.ReasonCode)
		case *packet.Pingresp:
		default:
			return fmt.Errorf("%s: %w: %s", c.name, ErrProtocol, p)
		}
	}
}

// ended turns a read or write error into the loop's result.
func (e *endpoint) ended(err error) error {
	if e.c.closing.Load() {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%s: broker closed the connection: %w", e.c.name, err)
	}
	return fmt.Errorf("%s: %w", e.c.name, err)
}
