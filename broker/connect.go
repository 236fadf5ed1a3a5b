package broker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// handleConnect validates a CONNECT, authenticates it, attaches the session and answers
// CONNACK. A non-nil error ends the connection (after any refusal CONNACK is flushed).
func (c *conn) handleConnect(p *packet.Connect) error {
	c.version = p.Version
	c.pr.Version = p.Version
	c.info = ClientInfo{ClientID: p.ClientID, Username: p.Username, RemoteAddr: c.nc.RemoteAddr(), Version: byte(p.Version)}

	var assigned bool
	if p.ClientID == "" {
		switch {
		case p.Version == packet.V31:
			return c.refuse(packet.ErrInvalidClientID) // 3.1 requires 1–23 characters
		case p.Version == packet.V311 && !p.CleanStart:
			return c.refuse(packet.ErrInvalidClientID) // [MQTT-3.1.3-8]
		}
		c.info.ClientID = newClientID() // [MQTT-3.1.3-6]
		assigned = true
	}
	if p.Will != nil {
		if err := topic.ValidName(p.Will.Topic); err != nil {
			if isV5(p.Version) {
				return c.refuse(packet.ErrTopicNameInvalid)
			}
			return packet.ErrProtocol // 3.1.1 has no CONNACK code for it: just close
		}
	}
	if a := c.srv.opts.Authenticator; a != nil {
		if err := a.Authenticate(c.info, p.Username, p.Password); err != nil {
			var code packet.Code
			if !errors.As(err, &code) {
				code = packet.ErrNotAuthorized
			}
			c.srv.log.Debug("authentication failed", "client", c.info.ClientID, "err", err)
			return c.refuse(code)
		}
	}
	if max := c.srv.opts.MaxConnections; max > 0 && c.srv.stats.clientsConnected.Load() >= int64(max) {
		return c.refuse(packet.ErrServerUnavailable)
	}

	persistent, expiry := !p.CleanStart, uint32(0xFFFFFFFF)
	if isV5(p.Version) {
		// 5.0: the session outlives the connection only with a session expiry [MQTT-3.1.2-23].
		expiry = 0
		if p.Properties != nil && p.Properties.SessionExpiry != nil {
			expiry = *p.Properties.SessionExpiry
		}
		persistent = expiry > 0
	}
	c.expiry = expiry
	c.will = p.Will
	if p.KeepAlive > 0 {
		c.keepAlive = time.Duration(p.KeepAlive) * 1500 * time.Millisecond // [MQTT-3.1.2-24]
	}

	ack := packet.Connack{}
	if isV5(p.Version) {
		ack.Properties = c.srv.connackProps()
		if assigned {
			ack.Properties.AssignedClientID = new(c.info.ClientID) // [MQTT-3.2.2-16]
		}
		if p.Properties != nil && p.Properties.ReceiveMaximum != nil {
			c.sendQuota = int(*p.Properties.ReceiveMaximum) // [MQTT-3.3.4-9]
		}
	}
	c.srv.attach(c, p.CleanStart, persistent, &ack)
	c.srv.log.Debug("client connected", "client", c.info.ClientID, "remote", c.info.RemoteAddr,
		"version", p.Version.String(), "clean", p.CleanStart, "keepalive", p.KeepAlive, "present", ack.SessionPresent)
	return nil
}

// connackProps returns the 5.0 CONNACK properties that describe what this broker supports,
// where it differs from the spec's defaults.
func (s *Server) connackProps() *packet.Properties {
	return &packet.Properties{
		MaximumPacketSize:       new(uint32(s.opts.MaxPacketSize)),
		SharedSubAvailable:      new(byte(0)), // not yet
		SubscriptionIDAvailable: new(byte(0)), // not yet
		TopicAliasMaximum:       nil,          // absent = 0: no topic aliases [MQTT-3.2.2-18]
	}
}

// refuse answers CONNACK with code and returns the error that ends the connection
// [MQTT-3.2.2-5]: the session is neither created nor changed.
func (c *conn) refuse(code packet.Code) error {
	c.srv.log.Info("connection refused", "client", c.info.ClientID, "remote", c.nc.RemoteAddr(),
		"version", c.version.String(), "reason", code.Reason)
	c.writeControl(&packet.Connack{ReasonCode: packet.ConnackCode(code, c.version)})
	return code
}

// attach binds c to its session: a takeover closes the previous connection; a clean start
// discards the old session; otherwise the old session resumes. CONNACK goes out before any
// message of the session [MQTT-3.2.0-1].
func (s *Server) attach(c *conn, clean, persistent bool, ack *packet.Connack) {
	id := c.info.ClientID
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.sessions[id]
	if old != nil {
		old.mu.Lock()
		old.stopExpiry()
		old.takeWill() // back in time: the waiting will is not sent [MQTT-3.1.3-9]
		if oc := old.conn; oc != nil {
			old.conn = nil
			oc.kick(errTakenOver) // [MQTT-3.1.4-2]
		}
		if clean {
			old.discard() // [MQTT-3.1.2-6]
			old.mu.Unlock()
			old = nil
		} else {
			old.mu.Unlock()
		}
	}
	sess := old
	if sess == nil {
		sess = newSession(s, id, persistent)
		s.sessions[id] = sess
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.persistent, sess.expiry = persistent, c.expiry
	if s.persist.on(sess) {
		s.persist.saveSession(sess)
		sess.stored = true
	}
	ack.SessionPresent = old != nil // [MQTT-3.2.2-2] [MQTT-3.2.2-3]
	c.writeControl(ack)
	c.sess = sess
	sess.conn = c
	s.stats.clientsConnected.Add(1)
	s.stats.clientsTotal.Add(1)
	s.stats.noteMaxClients()
	sess.resume(c)
}

// detach unbinds c from its session when the connection ends. A session that is not
// persistent is thrown away [MQTT-3.1.2-6]; a persistent one keeps its subscriptions and
// queues messages until the client returns.
func (s *Server) detach(c *conn) {
	sess := c.sess
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	s.stats.clientsConnected.Add(-1)
	if sess.conn != c {
		return // taken over: the session belongs to the new connection now
	}
	sess.conn = nil
	s.persist.disconnected(sess)
	if !sess.persistent {
		sess.discard()
		if s.sessions[sess.id] == sess {
			delete(s.sessions, sess.id)
		}
		return
	}
	s.scheduleExpiry(sess, time.Duration(sess.expiry)*time.Second)
}

// neverExpires is the 5.0 session expiry interval that means "never" [MQTT-3.1.2-11]; 3.x
// persistent sessions have it too.
const neverExpires = 0xFFFFFFFF

// scheduleExpiry arranges for an offline session to be discarded after d [MQTT-4.1.0-2].
// Caller holds s.mu and sess.mu.
func (s *Server) scheduleExpiry(sess *session, d time.Duration) {
	if sess.expiry == neverExpires || s.closed {
		return
	}
	sess.expireTimer = time.AfterFunc(d, func() { s.expire(sess) })
}

// expire discards a session whose expiry interval ran out while it was offline.
func (s *Server) expire(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if s.closed || sess.conn != nil || s.sessions[sess.id] != sess {
		return
	}
	s.log.Debug("session expired", "client", sess.id)
	will := sess.takeWill() // the session ends: a waiting will goes out now
	sess.discard()
	delete(s.sessions, sess.id)
	if will != nil {
		s.wg.Add(1) // s.closed is false under s.mu, so Shutdown has not begun waiting
		go func() { // not under the locks: publishing takes session locks
			defer s.wg.Done()
			var r router
			s.publish(will, nil, &r)
		}()
	}
}

// newClientID returns a server-assigned client id, unique with overwhelming probability.
func newClientID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "surgemq-" + hex.EncodeToString(b[:])
}
