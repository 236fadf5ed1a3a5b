package broker

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

const (
	// readBufferSize is the per-connection read buffer, taken from a pool while the
	// connection is busy; bufio reads larger packets straight into the packet's own buffer.
	readBufferSize = 2048
	// idleReadRelease is how long a connection may be quiet before it gives its read buffer
	// back to the pool and waits for the socket without one.
	idleReadRelease = time.Second
)

// Reasons a connection ends, beside I/O errors and packet.Code protocol errors.
var (
	errClientDisconnect = errors.New("client disconnected")
	errTakenOver        = errors.New("session taken over by a new connection")
	errShutdown         = errors.New("server shutting down")
	errKeepAlive        = errors.New("keepalive timeout")
	errSlowConsumer     = errors.New("slow consumer: write timed out")
)

// conn is one network connection: a read loop (serve) and a write loop (writeLoop).
type conn struct {
	srv *Server
	nc  net.Conn
	cr  *countingReader
	br  *bufio.Reader // nil while the connection idles without a buffer
	pr  *packet.Reader

	// Set by the read loop while handling CONNECT, read-only afterwards.
	version    packet.Version
	info       ClientInfo
	sess       *session
	keepAlive  time.Duration
	sendQuota  int             // 5.0 Receive Maximum of the client; 0 means no limit of its own
	held       []heldAck       // acknowledgements waiting for the store to sync
	stash      []packet.Packet // packets read during a stall, handled after it in order
	stashBytes int             // payload and topic bytes in stash
	expiry     uint32          // session expiry requested in CONNECT
	will       *packet.Will    // cleared by a normal DISCONNECT [MQTT-3.1.2-10]
	route      *router         // scratch space for routing this connection's publishes; lazily

	outMu       sync.Mutex
	out         []byte         // encoded, not yet written; grows lazily
	writing     bool           // a write goroutine (or flushSelf) is writing
	selfPending bool           // the read loop queued output that flushSelf must write
	outSync     bool           // c.out holds a QoS 2 PUBLISH whose packet id must be on disk first
	wake        chan struct{}  // capacity 1: wakes a lingering write goroutine
	writers     sync.WaitGroup // the write goroutine, while it runs
	closing     bool           // no more output is accepted; the writer flushes and exits
	needRefill  bool           // the session held messages back because out was full
	kicked      error          // why another goroutine closed the connection, if it did
	isKicked    atomic.Bool    // kicked != nil, readable without outMu
	writeErr    error          // the writer's error, if it failed
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv: s,
		nc:  nc,
	}
	c.cr = &countingReader{nc, s}
	c.acquireReader(packet.V311)
	return c
}

// acquireReader takes a read buffer from the pool.
func (c *conn) acquireReader(v packet.Version) {
	c.br = c.srv.readers.Get().(*bufio.Reader)
	c.br.Reset(c.cr)
	c.pr = packet.NewReader(c.br, v, c.srv.opts.MaxPacketSize)
}

// releaseReader returns the (empty) read buffer to the pool.
func (c *conn) releaseReader() {
	if c.br != nil {
		c.br.Reset(nil)
		c.srv.readers.Put(c.br)
		c.br, c.pr = nil, nil
	}
}

// setReadDeadline sets the read deadline and then reports a kick that raced with it: kick
// sets the flag before its own deadline, so either this sees the flag or kick's deadline wins.
func (c *conn) setReadDeadline(t time.Time) error {
	c.nc.SetReadDeadline(t)
	if c.isKicked.Load() {
		return errShutdown // replaced by the kick's reason in finish
	}
	return nil
}

// router returns the connection's routing scratch space, made on its first publish (a
// connection that only subscribes never needs one).
func (c *conn) router() *router {
	if c.route == nil {
		c.route = &router{}
	}
	return c.route
}

// errParked is returned by the read loop when the connection went idle and handed its
// reading over to a fresh goroutine (see park): the connection is not over.
var errParked = errors.New("parked") //nolint:gochecknoglobals // sentinel

// awaitPacket returns once the first byte of the next packet is buffered, or the keepalive
// deadline passes. A connection quiet for idleReadRelease is parked: it returns errParked.
func (c *conn) awaitPacket() error {
	now := time.Now()
	var ka time.Time // zero: no keepalive
	if c.keepAlive > 0 {
		ka = now.Add(c.keepAlive)
	}
	short := now.Add(c.srv.idleAfter)
	if !ka.IsZero() && !ka.After(short) {
		short = ka
	}
	if err := c.setReadDeadline(short); err != nil {
		return err
	}
	_, err := c.br.Peek(1)
	if err == nil {
		return c.setReadDeadline(ka)
	}
	if !isTimeout(err) || c.isKicked.Load() {
		return err
	}
	if short.Equal(ka) {
		return errKeepAlive // [MQTT-3.1.2-24]
	}
	if err := c.setReadDeadline(ka); err != nil {
		return err
	}
	c.releaseReader()
	c.srv.wg.Add(1) // this goroutine is still counted, so this is no first Add
	c.srv.stats.parked.Add(1)
	go c.park()
	return errParked
}

// park waits, on a new goroutine with a small stack and without a read buffer, until an idle
// connection has data again, then runs the read loop there. The goroutine that ran the loop
// before has returned, and with it whatever stack a burst of work had grown: an idle
// connection costs a 2 KB stack and its structs, nothing more.
func (c *conn) park() {
	defer c.srv.wg.Done()
	_, err := waitReadable(c.nc) // without a descriptor, the Peek below blocks as usual
	c.srv.stats.parked.Add(-1)
	c.acquireReader(c.version)
	if err == nil {
		_, err = c.br.Peek(1)
	}
	if err == nil {
		err = c.loop()
		if err == errParked {
			return
		}
	} else if isTimeout(err) && !c.isKicked.Load() {
		err = errKeepAlive // [MQTT-3.1.2-24]
	}
	c.finish(err)
}

// countingReader counts bytes received for $SYS.
type countingReader struct {
	r io.Reader
	s *Server
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.s.stats.bytesReceived.Add(uint64(n))
	return n, err
}

// serve runs the connection: it starts the writer, runs the read loop, then cleans up.
func (c *conn) serve() {
	defer c.srv.wg.Done()
	err := c.readConnect()
	if err == nil {
		err = c.loop()
	}
	if err != errParked {
		c.finish(err)
	}
}

// readConnect reads and handles the CONNECT that must open the connection.
func (c *conn) readConnect() error {
	c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.ConnectTimeout))
	p, err := c.pr.Read()
	if err != nil {
		c.connectFailed(p, err)
		return err
	}
	cp, ok := p.(*packet.Connect)
	if !ok {
		return packet.ErrProtocol // [MQTT-3.1.0-1] the first packet must be CONNECT
	}
	return c.handleConnect(cp)
}

// loop reads and handles packets until the connection ends or parks, and returns why.
func (c *conn) loop() error {
	for {
		if p := c.unstash(); p != nil { // read during a stall
			if err := c.handleAndStall(p); err != nil {
				return err
			}
			continue
		}
		if c.br.Buffered() == 0 {
			if err := c.releaseAcks(); err != nil {
				return err
			}
			if err := c.flushSelf(); err != nil {
				return err
			}
			if err := c.awaitPacket(); err != nil {
				return err
			}
		} else if c.keepAlive > 0 {
			if err := c.setReadDeadline(time.Now().Add(c.keepAlive)); err != nil {
				return err
			}
		} else if c.isKicked.Load() {
			return errShutdown
		}
		p, err := c.pr.Read()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return errKeepAlive // [MQTT-3.1.2-24]
			}
			return err
		}
		c.srv.stats.packetsReceived.Add(1)
		if err := c.handleAndStall(p); err != nil {
			return err
		}
	}
}

// handleAndStall handles p and, if it was a publish that congested a subscriber, holds the
// publisher back (see stall).
func (c *conn) handleAndStall(p packet.Packet) error {
	if err := c.handle(p); err != nil {
		return err
	}
	if c.route != nil && len(c.route.congested) > 0 {
		return c.stall()
	}
	return nil
}

// handle dispatches one packet received after CONNECT.
func (c *conn) handle(p packet.Packet) error {
	switch p := p.(type) {
	case *packet.Publish:
		return c.handlePublish(p)
	case *packet.Ack:
		return c.handleAck(p)
	case *packet.Subscribe:
		return c.handleSubscribe(p)
	case *packet.Unsubscribe:
		return c.handleUnsubscribe(p)
	case *packet.Pingreq:
		c.writeControl(&packet.Pingresp{}) // [MQTT-3.12.4-1]
		return nil
	case *packet.Disconnect:
		if err := c.updateExpiry(p); err != nil {
			return err
		}
		if isV5(c.version) && p.ReasonCode == packet.CodeDisconnectWithWill {
			return errClientDisconnectWithWill
		}
		c.will = nil // [MQTT-3.14.4-3]
		return errClientDisconnect
	case *packet.Connect:
		return packet.ErrProtocol // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
	default:
		// CONNACK, SUBACK, UNSUBACK, PINGRESP and AUTH (until enhanced auth exists) never come
		// from a client.
		return packet.ErrProtocol
	}
}

var errClientDisconnectWithWill = errors.New("client disconnected with will") //nolint:gochecknoglobals // sentinel

// updateExpiry applies a 5.0 DISCONNECT's Session Expiry Interval to the session.
func (c *conn) updateExpiry(p *packet.Disconnect) error {
	if p.Properties == nil || p.Properties.SessionExpiry == nil {
		return nil
	}
	e := *p.Properties.SessionExpiry
	if c.expiry == 0 && e != 0 {
		return packet.ErrProtocol // [MQTT-3.14.2-2]
	}
	s := c.sess
	s.mu.Lock()
	s.expiry, s.persistent = e, e > 0
	c.srv.persist.saveSession(s)
	s.mu.Unlock()
	return nil
}

// finish ends the connection: publishes the will if the end was abnormal, detaches the
// session, lets the writer flush what it has, and closes the socket.
func (c *conn) finish(err error) {
	c.outMu.Lock()
	kicked := c.kicked
	c.outMu.Unlock()
	if kicked != nil {
		err = kicked
	}
	if c.sess != nil {
		// A 5.0 client hears why the server ends the connection [MQTT-4.13.2-1].
		if code, ok := disconnectCode(err); ok && isV5(c.version) {
			c.writeControl(&packet.Disconnect{ReasonCode: code})
		}
		if c.will != nil && err != errClientDisconnect && err != errShutdown {
			c.srv.endWill(c)
		}
		c.srv.detach(c)
		c.srv.stats.disconnects.Add(1)
		level := c.srv.log.Debug
		if err != errClientDisconnect && err != errShutdown && err != errTakenOver && !errors.Is(err, io.EOF) {
			level = c.srv.log.Info
		}
		level("client disconnected", "client", c.info.ClientID, "remote", c.nc.RemoteAddr(), "reason", err)
	}
	c.closeOutput()
	c.nc.Close()
	c.releaseReader()
	c.srv.removeConn(c)
	c.srv.stats.connections.Add(-1)
}

// disconnectCode returns the 5.0 reason code for a connection-ending error, if one applies.
func disconnectCode(err error) (byte, bool) {
	var code packet.Code
	switch {
	case errors.As(err, &code):
		return code.Value, true
	case err == errTakenOver:
		return packet.ErrSessionTakenOver.Value, true
	case err == errShutdown:
		return packet.ErrServerShuttingDown.Value, true
	case err == errKeepAlive:
		return packet.ErrKeepAliveTimeout.Value, true
	}
	return 0, false
}

// connectFailed answers a CONNECT that could not be decoded where the spec asks for a CONNACK.
// The codec returns the partly decoded CONNECT when it got as far as the protocol level.
func (c *conn) connectFailed(p packet.Packet, err error) {
	var code packet.Code
	switch cp, _ := p.(*packet.Connect); {
	case errors.Is(err, packet.ErrUnsupportedVersion):
		// [MQTT-3.1.2-2] The level is unknown, so answer in the 3.1.1 form every version reads.
		c.writeControl(&packet.Connack{ReasonCode: packet.ConnRefusedVersion})
	case cp != nil && cp.Version == packet.V5 && errors.As(err, &code):
		c.version = packet.V5 // [MQTT-4.13.1-1] a 5.0 client hears why
		c.writeControl(&packet.Connack{ReasonCode: code.Value})
	}
	c.srv.log.Debug("connect failed", "remote", c.nc.RemoteAddr(), "err", err)
}

// kick closes the connection from another goroutine (takeover, shutdown); the read loop then
// ends with reason.
func (c *conn) kick(reason error) {
	c.outMu.Lock()
	if c.kicked == nil {
		c.kicked = reason
	}
	c.outMu.Unlock()
	c.isKicked.Store(true)
	c.nc.SetWriteDeadline(time.Now().Add(kickedWriteTimeout))
	// Wake the read loop. It checks isKicked after setting its own deadline, so one of the two
	// always sees the other. The writer still flushes what is queued.
	c.nc.SetReadDeadline(time.Now())
}

// shutdown is kick for Server.Shutdown.
func (c *conn) shutdown() { c.kick(errShutdown) }
