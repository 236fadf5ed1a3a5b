package broker

import (
	"errors"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// maxIdleWriteBuffer is the largest write buffer kept after a write; a larger one, grown by a
// burst, is dropped so an idle connection goes back to costing a few KB.
const maxIdleWriteBuffer = 16 << 10

// kickedWriteTimeout is how long a connection that is being closed by the server may take to
// flush its last packets (e.g. a 5.0 DISCONNECT).
const kickedWriteTimeout = time.Second

// writeLoop writes whatever the connection has queued, in one Write per wake-up, until the
// connection closes. Batching falls out of it: everything encoded while a Write was in
// progress goes out in the next one.
func (c *conn) writeLoop() {
	defer c.srv.wg.Done()
	defer close(c.writerDone)
	var buf []byte
	for {
		<-c.wake
		for {
			c.outMu.Lock()
			buf, c.out = c.out, buf[:0]
			closing := c.closing
			refill := c.needRefill && len(c.out) == 0
			if refill {
				c.needRefill = false
			}
			c.outMu.Unlock()

			if len(buf) == 0 {
				if refill {
					c.refill()
					continue
				}
				if closing {
					return
				}
				break
			}
			if err := c.write(buf); err != nil {
				c.outMu.Lock()
				c.writeErr = err
				c.closing = true
				c.out = nil
				c.outMu.Unlock()
				c.nc.Close() // the read loop ends with this error too
				return
			}
			if cap(buf) > maxIdleWriteBuffer {
				buf = nil
			}
			if refill {
				c.refill()
			}
		}
	}
}

// write writes b with the slow-consumer deadline.
func (c *conn) write(b []byte) error {
	d := c.srv.opts.WriteTimeout
	if c.isKicked.Load() {
		d = kickedWriteTimeout // a closing connection gets a short grace to flush
	}
	c.nc.SetWriteDeadline(time.Now().Add(d))
	n, err := c.nc.Write(b)
	c.srv.stats.bytesSent.Add(uint64(n))
	if err != nil && isTimeout(err) {
		c.srv.stats.slowConsumers.Add(1)
		return errSlowConsumer
	}
	return err
}

// refill lets the session move held-back messages into the now-drained output.
func (c *conn) refill() {
	if s := c.sess; s != nil {
		s.mu.Lock()
		s.fill()
		s.mu.Unlock()
	}
}

// signal wakes the writer without blocking.
func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeOutput stops accepting output; the writer flushes what is queued and returns.
func (c *conn) closeOutput() {
	c.outMu.Lock()
	c.closing = true
	c.outMu.Unlock()
	c.signal()
}

// outFull reports whether the output buffer is over its limit; if so the writer will call
// session.fill once it has drained. Caller holds the session lock.
func (c *conn) outFull() bool {
	c.outMu.Lock()
	full := len(c.out) >= c.srv.opts.MaxOutboundBytes
	if full {
		c.needRefill = true
	}
	c.outMu.Unlock()
	return full
}

// writeControl queues a control packet. It returns false if the connection is closing.
func (c *conn) writeControl(p packet.Packet) bool {
	c.outMu.Lock()
	if c.closing {
		c.outMu.Unlock()
		return false
	}
	out, err := p.Encode(c.out, c.version)
	if err == nil {
		c.out = out
	}
	c.outMu.Unlock()
	if err != nil {
		c.srv.log.Error("encode failed", "packet", p.String(), "err", err)
		return false
	}
	c.srv.stats.packetsSent.Add(1)
	c.signal()
	return true
}

// writeAck queues a PUBACK, PUBREC, PUBREL or PUBCOMP without allocating.
func (c *conn) writeAck(kind packet.Type, id uint16, code byte) {
	a := packet.Ack{Kind: kind, PacketID: id, ReasonCode: code}
	c.outMu.Lock()
	if c.closing {
		c.outMu.Unlock()
		return
	}
	if out, err := a.Encode(c.out, c.version); err == nil {
		c.out = out
	}
	c.outMu.Unlock()
	c.srv.stats.packetsSent.Add(1)
	c.signal()
}

// writePublish queues a PUBLISH of m. QoS 0 messages are refused (false) when the output is
// over its limit: the caller counts the drop. QoS 1/2 callers check outFull first.
func (c *conn) writePublish(m *Message, qos packet.QoS, id uint16, dup, retain bool) bool {
	p := packet.Publish{
		Dup:        dup,
		QoS:        qos,
		Retain:     retain,
		Topic:      m.Topic,
		PacketID:   id,
		Properties: m.Properties,
		Payload:    m.Payload,
	}
	c.outMu.Lock()
	if c.closing || qos == 0 && len(c.out) >= c.srv.opts.MaxOutboundBytes {
		c.outMu.Unlock()
		return false
	}
	out, err := p.Encode(c.out, c.version)
	if err == nil {
		c.out = out
	}
	c.outMu.Unlock()
	if err != nil {
		c.srv.log.Error("encode failed", "packet", p.String(), "err", err)
		return false
	}
	c.srv.stats.messagesSent.Add(1)
	c.srv.stats.packetsSent.Add(1)
	c.signal()
	return true
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
