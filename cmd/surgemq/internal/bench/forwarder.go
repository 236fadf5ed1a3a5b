package bench

import (
	"bufio"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// forwarderOutLimit is how many bytes a Forwarder queues for one connection before the
// publisher feeding it waits: the forwarder pushes back instead of dropping, so a self-test
// measures the generator, not a loss policy.
const forwarderOutLimit = 1 << 20

// Forwarder is the trivial MQTT "broker" of a self-test: it answers CONNECT, SUBSCRIBE,
// PINGREQ and the QoS 1/2 handshakes, and copies each PUBLISH to the connections subscribed
// to exactly its topic name (filters are not matched as wildcards). It keeps no sessions,
// retains nothing and never redelivers. Running the generator against it shows the
// generator's own ceiling on this machine.
type Forwarder struct {
	smu  sync.RWMutex
	subs map[string][]fsub // topic → subscribers; replaced, never modified in place

	mu     sync.Mutex
	closed bool
	ls     map[net.Listener]struct{}
	conns  map[*fconn]struct{}
	wg     sync.WaitGroup
}

type fsub struct {
	c   *fconn
	qos packet.QoS
}

// fconn is one forwarder connection: a read loop (serve) and a write loop.
type fconn struct {
	f       *Forwarder
	nc      net.Conn
	version packet.Version

	mu      sync.Mutex
	room    *sync.Cond // on mu: out drained below the limit, or closing
	out     []byte
	closing bool
	nextID  uint16
	wake    chan struct{}
}

// NewForwarder returns a Forwarder ready to Serve.
func NewForwarder() *Forwarder {
	return &Forwarder{
		subs:  make(map[string][]fsub),
		ls:    make(map[net.Listener]struct{}),
		conns: make(map[*fconn]struct{}),
	}
}

// Serve accepts connections on l until Close; it returns ErrClosed after Close, or the
// listener's error. It closes l.
func (f *Forwarder) Serve(l net.Listener) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	f.ls[l] = struct{}{}
	f.mu.Unlock()
	defer l.Close()
	for {
		nc, err := l.Accept()
		if err != nil {
			f.mu.Lock()
			closed := f.closed
			f.mu.Unlock()
			if closed {
				return ErrClosed
			}
			return err
		}
		c := &fconn{f: f, nc: nc, version: packet.V311, wake: make(chan struct{}, 1)}
		c.room = sync.NewCond(&c.mu)
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			nc.Close()
			return ErrClosed
		}
		f.conns[c] = struct{}{}
		f.wg.Add(2)
		f.mu.Unlock()
		go c.serve()
		go c.writeLoop()
	}
}

// Close stops every listener and connection and waits for their goroutines.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	f.closed = true
	for l := range f.ls {
		l.Close()
	}
	for c := range f.conns {
		c.nc.Close()
		c.close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	return nil
}

func (c *fconn) serve() {
	defer c.f.wg.Done()
	defer func() {
		c.close()
		c.nc.Close()
		c.f.drop(c)
	}()
	fr := frameReader{br: bufio.NewReaderSize(c.nc, readBufferSize), version: packet.V311, max: 1 << 28}
	for {
		p, err := fr.next()
		if err != nil {
			return
		}
		switch p := p.(type) {
		case *packet.Connect:
			c.version, fr.version = p.Version, p.Version
			c.send(&packet.Connack{})
		case *packet.Subscribe:
			codes := make([]byte, len(p.Subscriptions))
			for i, s := range p.Subscriptions {
				// The filter aliases the read buffer: the map needs its own copy.
				c.f.subscribe(strings.Clone(s.Filter), fsub{c, s.QoS})
				codes[i] = byte(s.QoS)
			}
			c.send(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes})
		case *packet.Publish:
			c.f.smu.RLock()
			targets := c.f.subs[p.Topic]
			c.f.smu.RUnlock()
			for _, t := range targets {
				t.c.forward(p, min(p.QoS, t.qos))
			}
			switch p.QoS {
			case packet.QoS1:
				c.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
			case packet.QoS2:
				c.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
			}
		case *packet.Ack:
			switch p.Kind {
			case packet.PUBREL:
				c.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
			case packet.PUBREC:
				c.send(&packet.Ack{Kind: packet.PUBREL, PacketID: p.PacketID})
			}
		case *packet.Pingreq:
			c.send(&packet.Pingresp{})
		default: // DISCONNECT, or anything a client should not send
			return
		}
	}
}

// subscribe adds s to topic's subscribers (copy on write, so readers need no lock).
func (f *Forwarder) subscribe(topic string, s fsub) {
	f.smu.Lock()
	f.subs[topic] = append(slices.Clip(f.subs[topic]), s)
	f.smu.Unlock()
}

// drop forgets a closed connection and its subscriptions.
func (f *Forwarder) drop(c *fconn) {
	f.smu.Lock()
	for t, ss := range f.subs {
		ss = slices.DeleteFunc(slices.Clone(ss), func(s fsub) bool { return s.c == c })
		if len(ss) == 0 {
			delete(f.subs, t)
		} else {
			f.subs[t] = ss
		}
	}
	f.smu.Unlock()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

// send queues a control packet.
func (c *fconn) send(p packet.Packet) {
	c.mu.Lock()
	if !c.closing {
		c.out, _ = p.Encode(c.out, c.version)
	}
	c.mu.Unlock()
	notify(c.wake)
}

// forward queues a copy of p at qos, waiting while the connection's output is full.
func (c *fconn) forward(p *packet.Publish, qos packet.QoS) {
	out := packet.Publish{QoS: qos, Topic: p.Topic, Payload: p.Payload}
	c.mu.Lock()
	for len(c.out) >= forwarderOutLimit && !c.closing {
		c.room.Wait()
	}
	if !c.closing {
		if qos > 0 {
			c.nextID++
			if c.nextID == 0 {
				c.nextID = 1
			}
			out.PacketID = c.nextID
		}
		c.out, _ = out.Encode(c.out, c.version)
	}
	c.mu.Unlock()
	notify(c.wake)
}

// close stops output; blocked forwarders give up and the writer returns.
func (c *fconn) close() {
	c.mu.Lock()
	c.closing = true
	c.room.Broadcast()
	c.mu.Unlock()
	notify(c.wake)
}

func (c *fconn) writeLoop() {
	defer c.f.wg.Done()
	var buf []byte
	for range c.wake {
		for {
			c.mu.Lock()
			buf, c.out = c.out, buf[:0]
			closing := c.closing
			c.room.Broadcast()
			c.mu.Unlock()
			if closing {
				return
			}
			if len(buf) == 0 {
				break
			}
			if _, err := c.nc.Write(buf); err != nil {
				c.nc.Close() // ends the read loop
				c.close()
				return
			}
		}
	}
}
