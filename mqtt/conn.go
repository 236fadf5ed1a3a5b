package mqtt

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Write buffer sizes: producers wait while more than maxPending bytes are queued, and a buffer
// that grew past keepBuffer for one large batch is dropped after it was written so an idle
// connection does not hold it.
const (
	maxPending = 256 << 10
	keepBuffer = 64 << 10
)

// conn is one network connection: a reader goroutine that decodes packets and hands them to
// the client, and a writer goroutine that writes whatever was queued since its last write in
// one Write call and sends PINGREQs. Packets are encoded by the goroutine that sends them,
// straight into the pending buffer.
//
// Lock order: Client.mu before conn.mu.
type conn struct {
	c       *Client
	nc      net.Conn
	r       *packet.Reader
	version packet.Version
	epoch   uint64 // The client's session epoch when this connection was made.

	keepAlive   time.Duration // 0: no keepalive.
	pingTimeout time.Duration

	mu      sync.Mutex
	buf     []byte        // Encoded packets waiting for the writer.
	spare   []byte        // The writer's other buffer, swapped with buf on each write.
	drained chan struct{} // Closed by the writer after taking buf; made by a waiting producer.
	closing bool          // A final DISCONNECT is queued: write it, then half-close.
	err     error         // Why the connection ended; set once, under mu.

	notify  chan struct{} // Wakes the writer; capacity 1.
	dead    chan struct{} // Closed when the connection fails or is closed.
	done    chan struct{} // Closed when the reader and the writer have both returned.
	running atomic.Int32

	aliases map[uint16]string // MQTT 5 topic aliases the server set; the reader's alone.

	lastRecv atomic.Int64 // Unix nanoseconds of the last packet read.
	lastSend atomic.Int64 // Unix nanoseconds of the last Write.
	stalled  atomic.Bool  // The reader is waiting for room in the inbound queue.
}

func newConn(c *Client, nc net.Conn, r *packet.Reader, keepAlive time.Duration) *conn {
	cn := &conn{
		c:           c,
		nc:          nc,
		r:           r,
		version:     c.opts.Version,
		keepAlive:   keepAlive,
		pingTimeout: c.opts.PingTimeout,
		notify:      make(chan struct{}, 1),
		dead:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	now := time.Now().UnixNano()
	cn.lastRecv.Store(now)
	cn.lastSend.Store(now)
	return cn
}

// start runs the reader and the writer.
func (cn *conn) start() {
	cn.running.Store(2)
	go cn.readLoop()
	go cn.writeLoop()
}

// exited is deferred by both goroutines; the last one out closes done.
func (cn *conn) exited() {
	if cn.running.Add(-1) == 0 {
		close(cn.done)
	}
}

// fail ends the connection with err (the first error wins) and closes the socket, which
// unblocks the reader and the writer.
func (cn *conn) fail(err error) {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return
	}
	cn.err = err
	if cn.drained != nil {
		close(cn.drained)
		cn.drained = nil
	}
	cn.mu.Unlock()
	close(cn.dead)
	cn.nc.Close()
}

// alive reports whether the connection has not failed yet.
func (cn *conn) alive() bool {
	select {
	case <-cn.dead:
		return false
	default:
		return true
	}
}

// cause returns why the connection ended, or nil while it is up.
func (cn *conn) cause() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// errConnDead is what a send on a dead or closing connection returns.
var errConnDead = errors.New("mqtt: connection closed")

// reserve locks cn.mu for appending a packet. With wait, it first waits while the pending
// buffer is over maxPending (back-pressure on publishers). It returns false, unlocked, if the
// connection is dead or closing.
func (cn *conn) reserve(wait bool) bool {
	cn.mu.Lock()
	for wait && len(cn.buf) > maxPending && cn.err == nil && !cn.closing {
		if cn.drained == nil {
			cn.drained = make(chan struct{})
		}
		ch := cn.drained
		cn.mu.Unlock()
		<-ch
		cn.mu.Lock()
	}
	if cn.err != nil || cn.closing {
		cn.mu.Unlock()
		return false
	}
	return true
}

// commit stores the extended buffer, unlocks and wakes the writer. On an encode error the
// buffer is cut back to n bytes.
func (cn *conn) commit(b []byte, n int, err error) error {
	if err != nil {
		cn.buf = b[:n]
		cn.mu.Unlock()
		return err
	}
	cn.buf = b
	cn.mu.Unlock()
	select {
	case cn.notify <- struct{}{}:
	default:
	}
	return nil
}

// sendPublish queues a PUBLISH. It is a separate method so that p, usually on the caller's
// stack, does not escape through an interface call.
func (cn *conn) sendPublish(p *packet.Publish, wait bool) error {
	if !cn.reserve(wait) {
		return errConnDead
	}
	n := len(cn.buf)
	b, err := p.Encode(cn.buf, cn.version)
	return cn.commit(b, n, err)
}

// sendAck queues a PUBACK, PUBREC, PUBREL or PUBCOMP.
func (cn *conn) sendAck(kind packet.Type, id uint16, code byte) error {
	if !cn.reserve(false) {
		return errConnDead
	}
	a := packet.Ack{Kind: kind, PacketID: id, ReasonCode: code}
	n := len(cn.buf)
	b, err := a.Encode(cn.buf, cn.version)
	return cn.commit(b, n, err)
}

// send queues any other packet.
func (cn *conn) send(p packet.Packet) error {
	if !cn.reserve(false) {
		return errConnDead
	}
	n := len(cn.buf)
	b, err := p.Encode(cn.buf, cn.version)
	return cn.commit(b, n, err)
}

// shutdown queues p (a DISCONNECT) as the last packet. The writer writes it, half-closes the
// connection and the reader runs until the server closes its side.
func (cn *conn) shutdown(p *packet.Disconnect) {
	if !cn.reserve(false) {
		return
	}
	n := len(cn.buf)
	b, err := p.Encode(cn.buf, cn.version)
	if err == nil {
		cn.closing = true
	}
	_ = cn.commit(b, n, err)
}

// writeLoop writes queued packets, batching everything queued since the last write into one
// Write, and keeps the connection alive.
func (cn *conn) writeLoop() {
	defer cn.exited()
	var tick <-chan time.Time
	if cn.keepAlive > 0 {
		period := min(cn.keepAlive, cn.pingTimeout) / 4
		t := time.NewTicker(max(period, 10*time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	var pingSent int64 // Unix nanoseconds of an unanswered PINGREQ; 0 if none.
	for {
		select {
		case <-cn.notify:
			// Let goroutines that are ready to send (publishers just woken by acks) queue
			// their packets first: one Write then carries them all.
			runtime.Gosched()
		case <-tick:
			var dead bool
			if pingSent, dead = cn.keepAliveCheck(pingSent); dead {
				cn.fail(ErrKeepAliveTimeout)
				return
			}
		case <-cn.dead:
			return
		}
		cn.mu.Lock()
		b, last := cn.buf, cn.closing
		cn.buf, cn.spare = cn.spare, nil
		if cn.drained != nil {
			close(cn.drained)
			cn.drained = nil
		}
		cn.mu.Unlock()
		if len(b) > 0 {
			if err := cn.write(b); err != nil {
				cn.fail(err)
				return
			}
		}
		if last {
			cn.finish()
			return
		}
		if cap(b) > keepBuffer {
			b = nil
		}
		cn.mu.Lock()
		cn.spare = b[:0]
		cn.mu.Unlock()
	}
}

// write writes one batch. With keepalive on, a Write blocked for longer than the keepalive
// interval plus the ping timeout (a peer that stopped reading, a dead path with a full send
// buffer) fails the connection as a keepalive timeout.
func (cn *conn) write(b []byte) error {
	if cn.keepAlive > 0 {
		_ = cn.nc.SetWriteDeadline(time.Now().Add(cn.keepAlive + cn.pingTimeout))
	}
	if _, err := cn.nc.Write(b); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("%w: write blocked: %w", ErrKeepAliveTimeout, err)
		}
		return err
	}
	cn.lastSend.Store(time.Now().UnixNano())
	return nil
}

// finish runs after the final DISCONNECT was written: it half-closes the connection where
// the transport can, so the server sees the end of the stream after everything queued, and
// bounds the wait for the server to close its side.
func (cn *conn) finish() {
	if hc, ok := cn.nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	_ = cn.nc.SetReadDeadline(time.Now().Add(cn.c.opts.ConnectTimeout))
}

// keepAliveCheck runs on each tick: it sends a PINGREQ when the connection was quiet in
// either direction for most of the keepalive interval [MQTT-3.1.2-23], and reports the
// connection dead when a PINGREQ went unanswered for pingTimeout. A reader stalled on a full
// inbound queue counts as alive: the silence is the handler's, not the network's.
func (cn *conn) keepAliveCheck(pingSent int64) (int64, bool) {
	now := time.Now().UnixNano()
	if cn.stalled.Load() {
		cn.lastRecv.Store(now)
	}
	recv := cn.lastRecv.Load()
	if pingSent != 0 {
		if recv >= pingSent {
			pingSent = 0
		} else if now-pingSent > int64(cn.pingTimeout) {
			return pingSent, true
		}
	}
	idle := int64(cn.keepAlive) * 3 / 4
	if pingSent == 0 && (now-cn.lastSend.Load() >= idle || now-recv >= idle) {
		if cn.send(&packet.Pingreq{}) == nil {
			pingSent = now
		}
	}
	return pingSent, false
}

// readLoop decodes packets until the connection ends and hands each to the client.
func (cn *conn) readLoop() {
	defer cn.exited()
	for {
		p, err := cn.r.Read()
		if err != nil {
			cn.fail(readError(err))
			return
		}
		cn.lastRecv.Store(time.Now().UnixNano())
		if err := cn.c.handle(cn, p); err != nil {
			cn.fail(err)
			return
		}
	}
}

// readError keeps a protocol error from the decoder recognisable.
func readError(err error) error {
	var code packet.Code
	if errors.As(err, &code) {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return err
}
