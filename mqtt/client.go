package mqtt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Client is an MQTT client connected to one server. It is safe for concurrent use. Dial
// creates it; Disconnect ends it. While it lives, a supervising goroutine reconnects after a
// connection is lost, resubscribes if the server lost the session, and resends unacknowledged
// QoS 1 and 2 messages.
type Client struct {
	opts   options
	srv    server
	ctx    context.Context // Done when Disconnect starts.
	cancel context.CancelFunc
	wg     sync.WaitGroup // The supervisor and the dispatcher.

	inbound chan inbound // Received messages waiting for their handler.
	routes  router
	scratch []*route               // The dispatcher's match buffer.
	collect func(*route, struct{}) // c.collectRoute, bound once.

	disconnectOnce sync.Once
	flights        sync.Pool // Of *flight with their done channel, see newFlight.

	mu       sync.Mutex
	conn     *conn         // The live connection; nil while disconnected.
	wake     chan struct{} // Closed on any change a waiter may care about; made lazily.
	closeErr error         // Non-nil once the client is closed: ErrClosed or ErrConnectionLost.
	clientID string        // As configured, or as assigned by the server.
	epoch    uint64        // Changes each time the server does not resume the session.
	session                // Packet identifiers, in-flight and queued messages.
	limits   serverLimits  // From the last CONNACK.
}

// serverLimits are the MQTT 5 CONNACK properties that restrict what the client may send.
type serverLimits struct {
	receiveMax uint16 // In-flight QoS 1/2 publishes [MQTT-3.3.4-7].
	maxPacket  uint32 // 0: no limit.
	maxQoS     QoS
	noRetain   bool
	subIDs     bool // Subscription identifiers available.
}

// Dial connects to the server at rawURL and returns a Client, or the reason the first
// connection failed (a refused CONNACK wraps ErrRefused and the server's packet.Code).
// Supported URLs: mqtt://host[:1883] (also tcp://), mqtts://host[:8883] (also ssl://, tls://),
// ws://host[:80]/path and wss://host[:443]/path. User information in the URL sets Username
// and Password when Options leaves them empty. ctx bounds the first connection only.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	srv, err := parseServer(rawURL)
	if err != nil {
		return nil, err
	}
	if u := srv.u.User; u != nil && opts.Username == "" {
		opts.Username = u.Username()
		if pw, ok := u.Password(); ok && opts.Password == nil {
			opts.Password = []byte(pw)
		}
	}
	o, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:     o,
		srv:      srv,
		inbound:  make(chan inbound, o.InboundQueue),
		clientID: o.ClientID,
	}
	c.session.init()
	c.routes.init()
	c.collect = c.collectRoute
	c.ctx, c.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, c.cancel)
	cn, ack, err := c.connect(c.ctx)
	if !stop() || err != nil {
		c.cancel()
		if err == nil {
			cn.fail(ctx.Err())
			<-cn.done
			err = ctx.Err()
		}
		return nil, err
	}
	c.notify(StateChange{State: StateConnected, SessionPresent: ack.SessionPresent, Properties: ack.Properties})
	c.wg.Add(2)
	go c.dispatch()
	go c.supervise(cn)
	return c, nil
}

// URL returns the server URL the client connects to, without its password.
func (c *Client) URL() string {
	u := *c.srv.u
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// ClientID returns the client identifier, as assigned by the server if Options had none.
func (c *Client) ClientID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID
}

// IsConnected reports whether a connection is up right now.
func (c *Client) IsConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live() != nil
}

// connect makes one connection: dial, CONNECT, CONNACK. On success the connection is
// installed and running.
func (c *Client) connect(ctx context.Context) (*conn, *packet.Connack, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	nc, err := c.srv.dial(ctx, &c.opts)
	if err != nil {
		return nil, nil, err
	}
	// Unblock the handshake's reads and writes when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	c.mu.Lock()
	id := c.clientID
	c.mu.Unlock()
	b, err := c.opts.connectPacket(id).Encode(nil, c.opts.Version)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("encode connect: %w", err)
	}
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, nil, ctxErr(ctx, err)
	}
	r := packet.NewReader(bufio.NewReaderSize(nc, 4096), c.opts.Version, c.opts.MaxPacketSize)
	p, err := r.Read()
	if err != nil {
		nc.Close()
		return nil, nil, ctxErr(ctx, fmt.Errorf("read connack: %w", readError(err)))
	}
	ack, ok := p.(*packet.Connack)
	if !ok {
		nc.Close()
		return nil, nil, fmt.Errorf("%w: %s before CONNACK", ErrProtocol, p.Type())
	}
	if ack.ReasonCode != 0 {
		nc.Close()
		return nil, nil, connackError(ack.ReasonCode, c.opts.Version, ack.Properties)
	}
	if !stop() {
		nc.Close()
		return nil, nil, ctx.Err()
	}
	_ = nc.SetDeadline(time.Time{})
	keep := c.opts.KeepAlive
	if ack.Properties != nil && ack.Properties.ServerKeepAlive != nil {
		keep = time.Duration(*ack.Properties.ServerKeepAlive) * time.Second // [MQTT-3.2.2-21]
	}
	cn := newConn(c, nc, r, keep)
	if err := c.install(cn, ack); err != nil {
		nc.Close()
		return nil, nil, err
	}
	cn.start()
	c.opts.Logger.Info("mqtt connected", "url", c.URL(), "session_present", ack.SessionPresent)
	return cn, ack, nil
}

// ctxErr prefers the context's error over the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// install makes cn the live connection: it applies the CONNACK, restores the session (or
// starts a new one) and queues the resent and queued packets ahead of anything new.
func (c *Client) install(cn *conn, ack *packet.Connack) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr != nil {
		return c.closeErr
	}
	c.applyConnack(ack)
	// A session is resumed only if we asked for it [MQTT-3.2.2-2].
	resumed := ack.SessionPresent && c.opts.KeepSession
	if !resumed {
		c.epoch++
		clear(c.received)
	}
	cn.epoch = c.epoch
	c.resend(cn, resumed)
	if !resumed {
		c.resubscribe(cn)
	}
	c.conn = cn
	c.pump()
	c.broadcast()
	return nil
}

// applyConnack records the server's limits and assigned client id. Called with c.mu held.
func (c *Client) applyConnack(ack *packet.Connack) {
	c.limits = serverLimits{receiveMax: 65535, maxQoS: QoS2, subIDs: c.opts.Version >= V5}
	p := ack.Properties
	if p == nil {
		return
	}
	if p.AssignedClientID != nil {
		c.clientID = *p.AssignedClientID // Reused on reconnect [MQTT-3.2.2-16].
	}
	if p.ReceiveMaximum != nil && *p.ReceiveMaximum > 0 {
		c.limits.receiveMax = *p.ReceiveMaximum
	}
	if p.MaximumPacketSize != nil {
		c.limits.maxPacket = *p.MaximumPacketSize
	}
	if p.MaximumQoS != nil && *p.MaximumQoS < 2 {
		c.limits.maxQoS = QoS(*p.MaximumQoS)
	}
	if p.RetainAvailable != nil && *p.RetainAvailable == 0 {
		c.limits.noRetain = true
	}
	if p.SubscriptionIDAvailable != nil && *p.SubscriptionIDAvailable == 0 {
		c.limits.subIDs = false
	}
}

// live returns the connection if it is up, nil while there is none or it is failing (until
// the supervisor clears c.conn). Called with c.mu held.
func (c *Client) live() *conn {
	if cn := c.conn; cn != nil && cn.alive() {
		return cn
	}
	return nil
}

// wakeChan returns a channel closed by the next broadcast. Called with c.mu held.
func (c *Client) wakeChan() <-chan struct{} {
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.wake
}

// broadcast wakes everyone waiting for a connection, queue room or quota. Called with c.mu
// held.
func (c *Client) broadcast() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// notify reports a state change to Options.OnStateChange and the log.
func (c *Client) notify(s StateChange) {
	switch s.State {
	case StateConnected:
	default:
		c.opts.Logger.Info("mqtt "+s.State.String(), "url", c.URL(), "err", s.Err, "attempt", s.Attempt)
	}
	if c.opts.OnStateChange != nil {
		c.opts.OnStateChange(s)
	}
}

// supervise waits for the connection to end and reconnects with backoff, until Disconnect or,
// with DisableReconnect, the first loss.
func (c *Client) supervise(cn *conn) {
	defer c.wg.Done()
	for {
		<-cn.done
		err := cn.cause()
		c.mu.Lock()
		if c.conn == cn {
			c.conn = nil
		}
		closing := c.closeErr != nil
		if !closing && c.opts.DisableReconnect {
			c.closeErr = fmt.Errorf("%w: %w", ErrConnectionLost, err)
			c.failAll(c.closeErr)
		}
		c.broadcast()
		final := c.closeErr
		c.mu.Unlock()
		if closing {
			return
		}
		if c.opts.DisableReconnect {
			c.notify(StateChange{State: StateClosed, Err: final})
			return
		}
		c.notify(StateChange{State: StateDisconnected, Err: fmt.Errorf("%w: %w", ErrConnectionLost, err)})
		var ack *packet.Connack
		for attempt := 0; ; attempt++ {
			t := time.NewTimer(c.opts.Backoff(attempt))
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
			cn, ack, err = c.connect(c.ctx)
			if err == nil {
				break
			}
			if c.ctx.Err() != nil {
				return
			}
			c.notify(StateChange{State: StateDisconnected, Err: err, Attempt: attempt + 1})
		}
		c.notify(StateChange{State: StateConnected, SessionPresent: ack.SessionPresent, Properties: ack.Properties})
	}
}

// Disconnect sends DISCONNECT, waits for the server to close the connection, stops every
// goroutine of the client and fails calls still waiting with ErrClosed. The server discards
// the will [MQTT-3.14.4-3]. ctx bounds the wait; when it ends first, the connection is closed
// abruptly and ctx's error returned. Calling Disconnect again returns ErrClosed.
func (c *Client) Disconnect(ctx context.Context) error {
	first := false
	c.disconnectOnce.Do(func() { first = true })
	if !first {
		return ErrClosed
	}
	c.mu.Lock()
	if c.closeErr == nil {
		c.closeErr = ErrClosed
	}
	cn := c.conn
	c.broadcast()
	c.mu.Unlock()

	var err error
	if cn != nil {
		cn.shutdown(&packet.Disconnect{})
		select {
		case <-cn.done:
		case <-ctx.Done():
			err = ctx.Err()
			cn.fail(ErrClosed)
		}
	}
	c.cancel()
	waited := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		// A handler is still running; the dispatcher (and the goroutine above) exit when it
		// returns.
		err = errors.Join(err, ctx.Err())
	}
	c.mu.Lock()
	c.conn = nil
	c.failAll(ErrClosed)
	c.mu.Unlock()
	c.notify(StateChange{State: StateClosed})
	return err
}
