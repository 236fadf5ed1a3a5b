package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// handshakeTimeout bounds CONNECT→CONNACK and SUBSCRIBE→SUBACK.
const handshakeTimeout = 10 * time.Second

// maxAckBuffer is how many bytes of acknowledgements a reader gathers before it queues them
// even though more input is buffered.
const maxAckBuffer = 16 << 10

// client is one generator connection. Until start, its owner talks to it directly
// (handshakes); after, its reader goroutine (endpoint.readLoop) is the only reader and its
// writer goroutine (writeLoop) the only writer: the reader and a publisher queue bytes with
// enqueue, and the writer writes everything queued in one Write per wake-up. So a reader
// never blocks on the socket, and acks are batched per read.
type client struct {
	name    string
	nc      net.Conn
	fr      frameReader
	version packet.Version
	recvMax int // the broker's Receive Maximum (5.0), else 65535

	ack []byte // acks gathered by the reader, queued before it blocks

	omu     sync.Mutex
	out     []byte // queued, not yet written
	oclosed bool   // no more output; the writer flushes and returns
	werr    error  // why the writer failed
	started bool
	wake    chan struct{} // capacity 1: output queued or closing
	drained chan struct{} // capacity 1: the writer wrote a batch
	wdone   chan struct{} // closed when the writer returns

	closing atomic.Bool // set before a deliberate close, so its read error is not a failure
}

// dial connects and completes CONNECT/CONNACK with a clean session and no keepalive (the
// generator never idles long enough to need PINGREQ).
func dial(ctx context.Context, cfg *Config, id string, bufSize int) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w: %w", id, ErrConnect, err)
	}
	c := &client{name: id, nc: nc, version: cfg.Version, recvMax: 65535,
		wake: make(chan struct{}, 1), drained: make(chan struct{}, 1), wdone: make(chan struct{})}
	c.fr = frameReader{br: bufio.NewReaderSize(nc, bufSize), version: cfg.Version, max: 1 << 28}
	if err := c.connect(ctx, cfg.Version, id); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// deadline applies ctx's deadline to the socket and returns a function that clears it; a
// cancelled ctx also unblocks the socket.
func (c *client) deadline(ctx context.Context) func() {
	if d, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Now()) })
	return func() {
		stop()
		c.nc.SetDeadline(time.Time{})
	}
}

func (c *client) connect(ctx context.Context, v packet.Version, id string) error {
	defer c.deadline(ctx)()
	cp := &packet.Connect{Version: v, CleanStart: true, ClientID: id}
	b, err := cp.Encode(nil, v)
	if err != nil {
		return fmt.Errorf("connect %s: %w: %w", id, ErrConnect, err)
	}
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("connect %s: %w: %w", id, ErrConnect, err)
	}
	p, err := c.fr.next()
	if err != nil {
		return fmt.Errorf("connect %s: %w: no CONNACK: %w", id, ErrConnect, err)
	}
	ca, ok := p.(*packet.Connack)
	if !ok {
		return fmt.Errorf("connect %s: %w: got %s before CONNACK", id, ErrProtocol, p)
	}
	if ca.ReasonCode != packet.ConnAccepted {
		return fmt.Errorf("connect %s: %w: refused with code 0x%02x", id, ErrConnect, ca.ReasonCode)
	}
	if ca.Properties != nil && ca.Properties.ReceiveMaximum != nil {
		c.recvMax = int(*ca.Properties.ReceiveMaximum)
	}
	return nil
}

// subscribe subscribes to filter at qos and waits for the SUBACK; it must be called before
// the read loop starts.
func (c *client) subscribe(ctx context.Context, filter string, qos packet.QoS) error {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	defer c.deadline(ctx)()
	sp := &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}}
	b, err := sp.Encode(nil, c.version)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w: %w", c.name, ErrSubscribe, err)
	}
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("subscribe %s: %w: %w", c.name, ErrSubscribe, err)
	}
	for {
		p, err := c.fr.next()
		if err != nil {
			return fmt.Errorf("subscribe %s: %w: no SUBACK: %w", c.name, ErrSubscribe, err)
		}
		sa, ok := p.(*packet.Suback)
		if !ok {
			continue // e.g. a retained message left on the topic by someone else
		}
		if sa.PacketID != 1 || len(sa.ReasonCodes) != 1 {
			return fmt.Errorf("subscribe %s: %w: %s", c.name, ErrProtocol, sa)
		}
		if code := sa.ReasonCodes[0]; code >= packet.SubackFailure || packet.QoS(code) != qos {
			return fmt.Errorf("subscribe %s: %w: granted code 0x%02x for qos %d", c.name, ErrSubscribe, code, qos)
		}
		return nil
	}
}

// start starts the writer goroutine on wg.
func (c *client) start(wg *sync.WaitGroup) {
	c.started = true
	wg.Go(c.writeLoop)
}

// writeLoop writes whatever is queued, one Write per batch, until the output is closed and
// flushed or a write fails.
func (c *client) writeLoop() {
	defer close(c.wdone)
	var buf []byte
	for range c.wake {
		for {
			c.omu.Lock()
			buf, c.out = c.out, buf[:0]
			closed := c.oclosed
			c.omu.Unlock()
			if len(buf) == 0 {
				if closed {
					return
				}
				break
			}
			_, err := c.nc.Write(buf)
			if err != nil {
				c.omu.Lock()
				c.werr, c.oclosed, c.out = err, true, nil
				c.omu.Unlock()
				notify(c.drained)
				return
			}
			notify(c.drained)
		}
	}
}

// notify signals ch (capacity 1) without blocking.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// enqueue queues b for the writer. It returns the writer's error, or net.ErrClosed once
// the output is closed.
func (c *client) enqueue(b []byte) error {
	c.omu.Lock()
	if c.oclosed {
		err := c.werr
		c.omu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return err
	}
	c.out = append(c.out, b...)
	c.omu.Unlock()
	notify(c.wake)
	return nil
}

// queued returns how many bytes wait for the writer.
func (c *client) queued() int {
	c.omu.Lock()
	defer c.omu.Unlock()
	return len(c.out)
}

// queueAck appends an acknowledgement for the reader to queue before it next blocks.
func (c *client) queueAck(kind packet.Type, id uint16) {
	a := packet.Ack{Kind: kind, PacketID: id}
	c.ack, _ = a.Encode(c.ack, c.version) // kind and id are valid: cannot fail
}

// flushAcks queues the gathered acks when the next packet is not already buffered (so the
// broker hears them before we wait) or when enough have piled up.
func (c *client) flushAcks() error {
	if len(c.ack) == 0 || len(c.ack) < maxAckBuffer && c.fr.complete() {
		return nil
	}
	err := c.enqueue(c.ack)
	c.ack = c.ack[:0]
	return err
}

// disconnectTimeout bounds flushing the last output and DISCONNECT at the end of a run.
const disconnectTimeout = 2 * time.Second

// disconnect drops what is queued, sends DISCONNECT and closes the connection; errors are
// moot by then. The reader, if any, then returns nil.
func (c *client) disconnect() {
	c.closing.Store(true)
	var d packet.Disconnect
	b, _ := d.Encode(nil, c.version)
	c.nc.SetWriteDeadline(time.Now().Add(disconnectTimeout))
	if c.started {
		c.omu.Lock()
		if !c.oclosed { // output still queued is moot at the end of a run: skip it
			c.out = append(c.out[:0], b...)
			c.oclosed = true
		}
		c.omu.Unlock()
		notify(c.wake)
		<-c.wdone
	} else {
		c.nc.Write(b)
	}
	c.nc.Close()
}
