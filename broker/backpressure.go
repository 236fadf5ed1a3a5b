package broker

import (
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Backpressure. A QoS 1/2 message that a publisher has had acknowledged must not be lost
// because a connected subscriber falls behind. When a publish leaves a connected subscriber's
// queue above its high-water mark, the publisher's read loop stops handling new PUBLISH
// packets until that queue is back under the low-water mark: they wait, unacknowledged, in
// a bounded stash, and once it is full the loop stops reading, so TCP slows the publisher
// down. Acknowledgements and pings are handled at once meanwhile, so clients that both
// publish and subscribe (a mesh) keep draining each other instead of deadlocking. A subscriber that makes
// no progress at all for stallNoProgress stops holding publishers back — every publisher,
// until it acknowledges something again; beyond its queue limit its messages are then dropped
// and counted. QoS 0 never waits: it is dropped first.

const (
	// stallNoProgress is how long a publisher waits for a subscriber that acknowledges
	// nothing before it goes on without it.
	stallNoProgress = 2 * time.Second
	// stallPoll is how often a waiting publisher looks at the queues it waits for.
	stallPoll = 5 * time.Millisecond
	// unboundedHighWater is the high-water mark of queues without a message limit.
	unboundedHighWater = 1000
	// maxStash bounds the packets, and maxStashBytes their bytes, that a stalled publisher
	// reads ahead while it waits; beyond them it stops reading.
	maxStash      = 256
	maxStashBytes = 256 << 10
)

// highWater returns the queue length and bytes above which a connected session holds
// publishers back; lowWater is half of it.
func (s *Server) highWater() (n int, bytes int64) {
	n = unboundedHighWater
	if m := s.opts.MaxQueuedMessages; m > 0 {
		n = max(m/2, 1)
	}
	return n, s.opts.MaxQueuedBytes / 2
}

// congested reports whether a connected session's queue is above the high-water mark and
// publishers should wait for it. Caller holds s.mu.
func (s *session) congested() bool {
	if s.conn == nil {
		return false // offline queues are bounded by their limits, with counted drops
	}
	if s.isStuck() {
		return false // no publisher waits for it again until it acknowledges something
	}
	n, b := s.srv.highWater()
	return s.qlen() >= n || b > 0 && s.qbytes >= b
}

// markStuck records that a publisher gave up waiting for the session at this progress.
func (s *session) markStuck(progress uint64) { s.stuckAt.Store(progress + 1) }

// isStuck reports whether the session made no progress since a publisher gave up on it.
func (s *session) isStuck() bool {
	at := s.stuckAt.Load()
	if at == 0 {
		return false
	}
	if s.progress.Load()+1 == at {
		return true
	}
	s.stuckAt.CompareAndSwap(at, 0) // it moved: publishers wait for it again
	return false
}

// drained reports whether the session no longer holds publishers back: under the low-water
// mark, or offline.
func (s *session) drained() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, b := s.srv.highWater()
	return s.conn == nil || s.qlen() < max(n/2, 1) && (b == 0 || s.qbytes < b/2)
}

// waiter is one congested session a publisher waits for.
type waiter struct {
	s        *session
	progress uint64    // s.progress when last seen moving
	since    time.Time // when progress last moved
}

// stall holds the publisher while any session its last publish congested is above its
// low-water mark. Acknowledgements and pings from the publisher's client are handled
// meanwhile; any other packet is kept in c.stash and handled after the stall.
func (c *conn) stall() error {
	if err := c.releaseAcks(); err != nil {
		return err
	}
	now := time.Now()
	ws := make([]waiter, 0, len(c.route.congested))
	for _, s := range c.route.congested {
		ws = append(ws, waiter{s: s, progress: s.progress.Load(), since: now})
	}
	clear(c.route.congested)
	c.route.congested = c.route.congested[:0]
	c.srv.stats.stalls.Add(1)
	for {
		now := time.Now()
		kept := ws[:0]
		for _, w := range ws {
			switch p := w.s.progress.Load(); {
			case w.s.drained():
				continue
			case p != w.progress:
				w.progress, w.since = p, now // moving: keep waiting
			case now.Sub(w.since) > stallNoProgress:
				if !w.s.isStuck() { // log once per stuck spell, not per waiting publisher
					c.srv.log.Warn("subscriber acknowledges nothing; publishers no longer wait for it",
						"client", w.s.id, "queued", w.s.qlenLocked())
				}
				w.s.markStuck(p)
				continue
			case w.s.isStuck():
				continue // another publisher gave up on it
			}
			kept = append(kept, w)
		}
		ws = kept
		if len(ws) == 0 {
			return nil
		}
		if err := c.serveDuringStall(); err != nil {
			return err
		}
	}
}

// serveDuringStall waits up to stallPoll for a packet from the client and handles it if it
// is an acknowledgement or a ping; anything else joins the stash, in order. With the stash
// full it only waits.
func (c *conn) serveDuringStall() error {
	if c.isKicked.Load() {
		return errShutdown
	}
	if err := c.flushSelf(); err != nil {
		return err
	}
	if len(c.stash) >= maxStash || c.stashBytes >= maxStashBytes || c.br == nil {
		t := time.NewTimer(stallPoll)
		<-t.C
		return nil
	}
	if c.br.Buffered() == 0 {
		if err := c.setReadDeadline(time.Now().Add(stallPoll)); err != nil {
			return err
		}
		if _, err := c.br.Peek(1); err != nil {
			if isTimeout(err) && !c.isKicked.Load() {
				return nil // nothing yet: look at the queues again
			}
			return err
		}
		var ka time.Time
		if c.keepAlive > 0 {
			ka = time.Now().Add(c.keepAlive)
		}
		if err := c.setReadDeadline(ka); err != nil {
			return err
		}
	}
	p, err := c.pr.Read()
	if err != nil {
		return err
	}
	c.srv.stats.packetsReceived.Add(1)
	switch p := p.(type) {
	case *packet.Ack, *packet.Pingreq:
		return c.handle(p)
	case *packet.Publish:
		c.stashBytes += len(p.Payload) + len(p.Topic)
	}
	c.stash = append(c.stash, p) // handled in order once the stall ends
	return nil
}

// unstash returns the oldest stashed packet, or nil.
func (c *conn) unstash() packet.Packet {
	if len(c.stash) == 0 {
		return nil
	}
	p := c.stash[0]
	c.stash[0] = nil
	c.stash = c.stash[1:]
	if pub, ok := p.(*packet.Publish); ok {
		c.stashBytes -= len(pub.Payload) + len(pub.Topic)
	}
	if len(c.stash) == 0 {
		c.stash = nil // let the backing array go
	}
	return p
}

// qlenLocked returns the queue length under the session's lock.
func (s *session) qlenLocked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.qlen()
}
