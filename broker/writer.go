package broker

import (
	"errors"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

const (
	// maxKeptWriteBuffer is the largest write buffer a busy connection keeps between writes;
	// a larger one, grown by a burst, is dropped. A quiet connection's write goroutine exits
	// and drops its buffer whatever its size.
	maxKeptWriteBuffer = 64 << 10
	// writerLinger is how long a write goroutine waits for more output before it exits. An
	// idle connection has no write goroutine; a busy one keeps the same goroutine.
	writerLinger = 2 * time.Second
	// kickedWriteTimeout is how long a connection that the server is closing may take to
	// flush its last packets (e.g. a 5.0 DISCONNECT).
	kickedWriteTimeout = time.Second
)

// Output path. Every goroutine that has something for this connection (its own read loop,
// publishers' read loops, $SYS, in-process publishers) encodes it into c.out under c.outMu and
// calls queuedLocked. One write goroutine, started on demand, swaps c.out for its spare buffer
// and writes everything in one Write: batching falls out of it, because everything encoded
// while a Write is in progress goes out in the next one. Producers never wait for the socket.

// queuedLocked makes sure a write goroutine will write c.out. Caller holds c.outMu.
func (c *conn) queuedLocked() {
	if c.writing {
		c.wakeLocked()
		return
	}
	c.writing = true
	if c.wake == nil {
		c.wake = make(chan struct{}, 1) // made with the first write goroutine; kept
	}
	c.writers.Add(1)
	c.srv.wg.Add(1) // the conn's own serve goroutine is still counted, so this is no first Add
	go c.writeLoop()
}

// wakeLocked wakes a lingering write goroutine. While flushSelf writes there is none to wake
// (and maybe no channel yet): flushSelf hands leftover output to one when it is done.
// Caller holds c.outMu.
func (c *conn) wakeLocked() {
	if c.wake == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// queuedSelfLocked is queuedLocked for output the connection's own read loop produced
// (CONNACK, acks, PINGRESP, SUBACK …): the read loop writes it itself (flushSelf) before it
// waits for more input, so request–response traffic needs no second goroutine. Caller holds
// c.outMu.
func (c *conn) queuedSelfLocked() {
	if c.writing {
		c.wakeLocked()
		return
	}
	c.selfPending = true
}

// flushSelf writes what the read loop queued with queuedSelfLocked, on the read loop's own
// goroutine, unless a write goroutine is running anyway. Output that other goroutines queue
// meanwhile is handed to a write goroutine afterwards.
func (c *conn) flushSelf() error {
	c.outMu.Lock()
	pending := c.selfPending
	c.selfPending = false
	if !pending || c.writing || len(c.out) == 0 {
		c.outMu.Unlock()
		return nil
	}
	c.writing = true // producers now leave the output to us
	buf, durable := c.out, c.outSync
	c.out, c.outSync = nil, false
	c.outMu.Unlock()

	err := c.write(buf, durable)

	c.outMu.Lock()
	defer c.outMu.Unlock()
	c.writing = false
	if err != nil {
		c.writeErr, c.closing, c.out = err, true, nil
		c.nc.Close()
		return err
	}
	if len(c.out) == 0 && cap(buf) <= maxKeptWriteBuffer {
		c.out = buf[:0]
	}
	if len(c.out) > 0 || c.needRefill {
		c.queuedLocked() // others queued output while we wrote
	}
	return nil
}

// writeLoop writes c.out until the connection closes or stays quiet for writerLinger.
func (c *conn) writeLoop() {
	defer c.srv.wg.Done()
	defer c.writers.Done()
	var buf []byte
	var idle *time.Timer
	for {
		c.outMu.Lock()
		if len(c.out) == 0 {
			if c.needRefill {
				c.needRefill = false
				c.outMu.Unlock()
				c.refill()
				continue
			}
			if c.closing {
				c.writing = false
				c.outMu.Unlock()
				return
			}
			c.outMu.Unlock()
			if idle == nil {
				idle = time.NewTimer(writerLinger)
				defer idle.Stop()
			} else {
				idle.Reset(writerLinger)
			}
			select {
			case <-c.wake:
				continue
			case <-idle.C:
			}
			c.outMu.Lock()
			if len(c.out) == 0 && !c.needRefill && !c.closing {
				c.writing = false
				c.out = nil // give the buffer back while idle
				c.outMu.Unlock()
				return
			}
			c.outMu.Unlock()
			continue
		}
		buf, c.out = c.out, buf[:0]
		durable := c.outSync
		c.outSync = false
		c.outMu.Unlock()

		if err := c.write(buf, durable); err != nil {
			c.outMu.Lock()
			c.writeErr = err
			c.closing = true
			c.out = nil
			c.writing = false
			c.outMu.Unlock()
			c.nc.Close() // the read loop ends with this error too
			return
		}
		if cap(buf) > maxKeptWriteBuffer {
			buf = nil
		}
	}
}

// write writes b with the slow-consumer deadline. With durable (b carries a QoS 2 PUBLISH
// to a session on disk) it first waits until the store has synced the packet ids b carries:
// resent after a crash with another id, the message would be new to a receiver still awaiting
// PUBREL for the first, and delivered twice. The sync is the one the publishers' acks wait
// for anyway (group commit), so a batch of publishes costs one fsync, not one each.
func (c *conn) write(b []byte, durable bool) error {
	if durable {
		if err := c.srv.persist.sync(); err != nil {
			c.srv.log.Error("persistence: sync failed; closing connection", "client", c.info.ClientID, "err", err)
			return err
		}
	}
	d := c.srv.opts.WriteTimeout
	if c.isKicked.Load() {
		d = kickedWriteTimeout // a closing connection gets a short grace to flush
	}
	c.nc.SetWriteDeadline(time.Now().Add(d))
	n, err := c.nc.Write(b)
	c.srv.stats.bytesSent.Add(uint64(n))
	if err != nil && isTimeout(err) {
		c.srv.stats.slowConsumers.Add(1)
		c.srv.log.Warn("slow consumer disconnected", "client", c.info.ClientID, "remote", c.nc.RemoteAddr())
		return errSlowConsumer
	}
	return err
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// refill lets the session move held-back messages into the now-drained output.
func (c *conn) refill() {
	if s := c.sess; s != nil {
		s.mu.Lock()
		if s.conn == c {
			s.fill()
		}
		s.mu.Unlock()
	}
}

// closeOutput stops accepting output and waits until the write goroutine, if any, has
// flushed what is queued (bounded by the write timeouts).
func (c *conn) closeOutput() {
	c.outMu.Lock()
	c.closing = true
	if c.writing || len(c.out) > 0 {
		c.queuedLocked()
	}
	c.outMu.Unlock()
	c.writers.Wait()
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
		c.queuedSelfLocked()
	}
	c.outMu.Unlock()
	if err != nil {
		c.srv.log.Error("encode failed", "packet", p.String(), "err", err)
		return false
	}
	c.srv.stats.packetsSent.Add(1)
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
		c.queuedSelfLocked()
	}
	c.outMu.Unlock()
	c.srv.stats.packetsSent.Add(1)
}

// writePublish0 queues a QoS 0 PUBLISH of m, copying the bytes from enc when another
// subscriber with the same protocol version was sent the same message (no retain flag). It
// returns false, and the caller counts a drop, when the output is over its limit.
func (c *conn) writePublish0(m *Message, retain bool, enc *encCache) bool {
	if retain {
		enc = nil
	}
	cached := enc.get(c.version)
	c.outMu.Lock()
	if c.closing || len(c.out) >= c.srv.opts.MaxOutboundBytes {
		c.outMu.Unlock()
		return false
	}
	if cached != nil {
		c.out = append(c.out, cached...)
	} else {
		start := len(c.out)
		p := packet.Publish{Topic: m.Topic, Retain: retain, Properties: m.Properties, Payload: m.Payload}
		out, err := p.Encode(c.out, c.version)
		if err != nil {
			c.outMu.Unlock()
			c.srv.log.Error("encode failed", "packet", p.String(), "err", err)
			return false
		}
		c.out = out
		enc.put(c.version, out[start:])
	}
	c.queuedLocked()
	c.outMu.Unlock()
	c.srv.stats.messagesSent.Add(1)
	c.srv.stats.packetsSent.Add(1)
	return true
}

// writePublish queues a PUBLISH of m. QoS 0 messages are refused (false) when the output is
// over its limit: the caller counts the drop. QoS 1/2 callers check outFull first.
func (c *conn) writePublish(m *Message, qos packet.QoS, id uint16, dup, retain bool) bool {
	return c.queuePublish(m, qos, id, dup, retain, false)
}

// queuePublish is writePublish; durable makes the write wait for the store's sync first (see
// write).
func (c *conn) queuePublish(m *Message, qos packet.QoS, id uint16, dup, retain, durable bool) bool {
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
		c.outSync = c.outSync || durable
		c.queuedLocked()
	}
	c.outMu.Unlock()
	if err != nil {
		c.srv.log.Error("encode failed", "packet", p.String(), "err", err)
		return false
	}
	c.srv.stats.messagesSent.Add(1)
	c.srv.stats.packetsSent.Add(1)
	return true
}
