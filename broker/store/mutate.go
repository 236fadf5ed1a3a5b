package store

import (
	"errors"
	"fmt"
	"time"
)

// Every mutation validates its arguments, checks Options.MaxBytes (for the ones that grow the
// store), applies the change to the in-memory index and appends one record to the buffer, all
// under one mutex: records are in the order of the calls. A call that changes nothing
// appends nothing. A mutation is durable once a later Sync returns.

func checkString(what, v string) error {
	if len(v) > maxString {
		return fmt.Errorf("%s of %d bytes (max %d): %w", what, len(v), maxString, ErrInvalid)
	}
	return nil
}

func checkQoS(q byte) error {
	if q > 2 {
		return fmt.Errorf("qos %d: %w", q, ErrInvalid)
	}
	return nil
}

func checkMessage(m *Message) error {
	if err := checkString("topic", m.Topic); err != nil {
		return err
	}
	if err := checkQoS(m.QoS); err != nil {
		return err
	}
	if n := messageSize(m); n > maxFrame {
		return fmt.Errorf("message of %d bytes (max %d): %w", n, maxFrame, ErrInvalid)
	}
	return nil
}

// lockAdmit locks s.mu for an append of size bytes and returns with it held, or returns an
// error with it released. An append that grows the store past Options.MaxBytes first waits
// for a compaction when that could make room, then fails with ErrFull.
func (s *Store) lockAdmit(size int, grows bool) error {
	s.mu.Lock()
	tried := false
	for {
		switch {
		case s.closed:
			s.mu.Unlock()
			return ErrClosed
		case s.err != nil:
			err := s.err
			s.mu.Unlock()
			return err
		case !grows || s.opts.MaxBytes <= 0 || s.disk+int64(size) <= s.opts.MaxBytes:
			return nil
		case !tried && s.compactWouldFitLocked(size):
			tried = true
			s.waitCompactionLocked()
			continue
		}
		err := s.refuseLocked()
		s.mu.Unlock()
		return err
	}
}

// compactWouldFitLocked: a compaction would make room for size bytes and free enough to be
// worth it (at least 1/32 of MaxBytes, so a store full of live data is not compacted for
// every refused append).
func (s *Store) compactWouldFitLocked(size int) bool {
	live := s.liveLocked()
	return s.disk-live >= max(int64(size), s.opts.MaxBytes/32) &&
		live+headerSize+int64(size) <= s.opts.MaxBytes
}

func (s *Store) refuseLocked() error {
	s.refused.Add(1)
	s.refusedPending++
	if now := time.Now(); now.Sub(s.refusedLogged) >= 10*time.Second {
		s.log.Warn("store: full, refusing appends", "refused", s.refusedPending,
			"max_bytes", s.opts.MaxBytes, "disk_bytes", s.disk, "live_bytes", s.liveLocked())
		s.refusedLogged, s.refusedPending = now, 0
	}
	return fmt.Errorf("%w: %d bytes on disk, limit %d", ErrFull, s.disk, s.opts.MaxBytes)
}

// waitCompactionLocked asks for a compaction that starts after the call and waits for it.
func (s *Store) waitCompactionLocked() {
	want := s.compStarted + 1
	s.compactWant = true
	s.nudge()
	for s.compDone < want && !s.closed && s.err == nil {
		s.cond.Wait()
	}
}

// Compact runs a compaction now (one that starts after the call) and waits for it: the live
// state is rewritten into a new segment and the older segments are deleted. Compactions also
// run on their own (see Options.CompactMinBytes); the store stays usable meanwhile.
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	want := s.compStarted + 1
	s.waitCompactionLocked()
	switch {
	case s.compDone >= want && errors.Is(s.compErr, errAborted):
		return ErrClosed
	case s.compDone >= want:
		return s.compErr
	case s.err != nil:
		return s.err
	}
	return ErrClosed
}

// mutate runs one mutation: admit, apply, append.
func (s *Store) mutate(op string, size int, grows bool, apply func(*index) error, enc func([]byte) []byte) error {
	if err := s.lockAdmit(size, grows); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := apply(&s.idx); err != nil {
		if err == errNoop {
			return nil
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	s.buf = enc(s.buf)
	s.appendedLocked(size)
	return nil
}

func (s *Store) appendedLocked(size int) {
	s.active.size += int64(size)
	s.disk += int64(size)
	s.appendSeq++
	s.records.Add(1)
	if len(s.buf) >= flushBytes {
		s.nudge()
	}
}

// PutMessage stores m once and returns its id. Reference it right away with Enqueue or
// SetRetained: a message is garbage-collected when its last reference goes, and one never
// referenced is dropped by the second compaction after it was put (and at the next Open).
func (s *Store) PutMessage(m Message) (MsgID, error) {
	if err := checkMessage(&m); err != nil {
		return 0, fmt.Errorf("put message: %w", err)
	}
	size := messageSize(&m)
	if err := s.lockAdmit(size, true); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	id := s.idx.nextID
	_ = s.idx.addMessage(id, msgEntry{off: s.active.size, file: s.active.id, size: uint32(size)}) // id is new
	s.buf = appendMessage(s.buf, id, &m)
	s.appendedLocked(size)
	return id, nil
}

// PutSession creates the session or replaces its expiry and subscriptions (its queue, inbound
// ids and will are kept) and marks it connected (DisconnectedAt 0).
func (s *Store) PutSession(clientID string, expiry uint32, subs []Subscription) error {
	if err := checkString("client id", clientID); err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	for _, sub := range subs {
		if err := checkString("filter", sub.Filter); err != nil {
			return fmt.Errorf("put session: %w", err)
		}
		if err := checkQoS(sub.QoS); err != nil {
			return fmt.Errorf("put session: %w", err)
		}
	}
	subs = cloneOrNil(subs)
	s.mu.Lock()
	exists := s.idx.sessions[clientID] != nil // replacing a session is never refused
	s.mu.Unlock()
	return s.mutate("put session", sessionSize(clientID, subs), !exists,
		func(x *index) error { x.putSession(clientID, expiry, subs); return nil },
		func(b []byte) []byte { return appendSession(b, clientID, expiry, subs) })
}

// SessionDisconnected records when the session's connection ended (0 = connected again).
// It returns ErrNotFound for an unknown session.
func (s *Store) SessionDisconnected(clientID string, at int64) error {
	return s.mutate("session disconnected", disconnectedSize(clientID), false,
		func(x *index) error { return x.disconnected(clientID, at) },
		func(b []byte) []byte { return appendDisconnected(b, clientID, at) })
}

// DeleteSession removes the session with its queue references, inbound ids and will.
// Deleting an unknown session does nothing.
func (s *Store) DeleteSession(clientID string) error {
	return s.mutate("delete session", deleteSessionSize(clientID), false,
		func(x *index) error { return x.deleteSession(clientID) },
		func(b []byte) []byte { return appendDeleteSession(b, clientID) })
}

// Enqueue appends q to the end of the session's queue, creating the session (expiry 0, no
// subscriptions) when it has none. It returns ErrNotFound for an unknown message and
// ErrExists when the message is already in that queue.
func (s *Store) Enqueue(clientID string, q Queued) error {
	if err := checkString("client id", clientID); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := checkQoS(q.QoS); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return s.mutate("enqueue", enqueueSize(clientID), true,
		func(x *index) error { return x.enqueue(clientID, q) },
		func(b []byte) []byte { return appendEnqueue(b, clientID, q) })
}

// SetInflight updates the in-flight marker of the session's queue entry for msg: packetID
// (0 = not in flight) and released (QoS 2: PUBREL sent). It returns ErrNotFound when there is
// no such entry.
func (s *Store) SetInflight(clientID string, msg MsgID, packetID uint16, released bool) error {
	return s.mutate("set inflight", inflightSize(clientID), false,
		func(x *index) error { return x.setInflight(clientID, msg, packetID, released) },
		func(b []byte) []byte { return appendInflight(b, clientID, msg, packetID, released) })
}

// Dequeue removes the session's queue entry for msg (acknowledged or dropped). It returns
// ErrNotFound when there is no such entry.
func (s *Store) Dequeue(clientID string, msg MsgID) error {
	return s.mutate("dequeue", dequeueSize(clientID), false,
		func(x *index) error { return x.dequeue(clientID, msg) },
		func(b []byte) []byte { return appendDequeue(b, clientID, msg) })
}

// AddInbound records a QoS 2 packet id received from the client and awaiting PUBREL,
// creating the session when it has none. It returns ErrExists for an id already recorded.
func (s *Store) AddInbound(clientID string, packetID uint16) error {
	if err := checkString("client id", clientID); err != nil {
		return fmt.Errorf("add inbound: %w", err)
	}
	if packetID == 0 {
		return fmt.Errorf("add inbound: packet id 0: %w", ErrInvalid)
	}
	return s.mutate("add inbound", inboundSize(clientID), true,
		func(x *index) error { return x.addInbound(clientID, packetID) },
		func(b []byte) []byte { return appendInbound(b, recAddInbound, clientID, packetID) })
}

// RemoveInbound forgets a QoS 2 packet id (PUBREL received). It returns ErrNotFound when the
// id is not recorded.
func (s *Store) RemoveInbound(clientID string, packetID uint16) error {
	return s.mutate("remove inbound", inboundSize(clientID), false,
		func(x *index) error { return x.removeInbound(clientID, packetID) },
		func(b []byte) []byte { return appendInbound(b, recRemoveInbound, clientID, packetID) })
}

// SetRetained makes msg the retained message of topic, replacing any other. It returns
// ErrNotFound for an unknown message.
func (s *Store) SetRetained(topic string, msg MsgID) error {
	if err := checkString("topic", topic); err != nil {
		return fmt.Errorf("set retained: %w", err)
	}
	return s.mutate("set retained", setRetainedSize(topic), true,
		func(x *index) error { return x.setRetained(topic, msg) },
		func(b []byte) []byte { return appendSetRetained(b, topic, msg) })
}

// ClearRetained removes the retained message of topic; a topic without one is left alone.
func (s *Store) ClearRetained(topic string) error {
	return s.mutate("clear retained", clearRetainedSize(topic), false,
		func(x *index) error { return x.clearRetained(topic) },
		func(b []byte) []byte { return appendClearRetained(b, topic) })
}

// SetWill sets the session's pending will (creating the session when it has none), or clears
// it when w is nil. The store keeps its own copy of w.
func (s *Store) SetWill(clientID string, w *Will) error {
	if err := checkString("client id", clientID); err != nil {
		return fmt.Errorf("set will: %w", err)
	}
	if w != nil {
		if err := checkMessage(&w.Msg); err != nil {
			return fmt.Errorf("set will: %w", err)
		}
		c := *w
		c.Msg.Payload, c.Msg.Props = cloneOrNil(w.Msg.Payload), cloneOrNil(w.Msg.Props)
		w = &c
	}
	return s.mutate("set will", willSize(clientID, w), w != nil,
		func(x *index) error { return x.setWill(clientID, w) },
		func(b []byte) []byte { return appendWill(b, clientID, w) })
}
