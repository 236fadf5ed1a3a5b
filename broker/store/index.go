package store

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// msgEntry locates a message record: 24 bytes per message in the index.
type msgEntry struct {
	off  int64  // offset of the frame in its file
	file uint32 // in-memory file id (segFile.id), not the segment number
	size uint32 // frame bytes
	refs uint32 // queue entries + retained topics referring to it
}

// session is the in-memory state of one persistent session.
type session struct {
	id       string
	expiry   uint32
	discAt   int64
	subs     []Subscription // replaced whole, never modified in place
	queue    []Queued       // queue[head:] is live
	head     int
	unsorted bool // queue ids not increasing: find scans instead of binary search
	inbound  []uint16
	will     *Will // replaced whole, never modified in place
	bytes    int64 // bytes of the records a compaction writes for this session
}

func (ss *session) live() []Queued { return ss.queue[ss.head:] }

// find returns the index in ss.queue of the entry for msg, or -1.
func (ss *session) find(msg MsgID) int {
	q := ss.live()
	if !ss.unsorted {
		i := sort.Search(len(q), func(i int) bool { return q[i].Msg >= msg })
		if i < len(q) && q[i].Msg == msg {
			return ss.head + i
		}
		return -1
	}
	for i := range q {
		if q[i].Msg == msg {
			return ss.head + i
		}
	}
	return -1
}

func (ss *session) removeAt(i int) {
	if i == ss.head {
		ss.queue[i] = Queued{}
		ss.head++
	} else {
		ss.queue = slices.Delete(ss.queue, i, i+1)
	}
	switch {
	case ss.head == len(ss.queue):
		if cap(ss.queue) > 256 {
			ss.queue = nil // a drained queue gives its memory back
		} else {
			ss.queue = ss.queue[:0]
		}
		ss.head, ss.unsorted = 0, false
	case ss.head >= 64 && 2*ss.head >= len(ss.queue):
		n := copy(ss.queue, ss.queue[ss.head:])
		clear(ss.queue[n:])
		ss.queue, ss.head = ss.queue[:n], 0
	}
}

// index is the live state. Every method validates and either applies the change (and keeps
// live exact) or returns an error and changes nothing; errNoop means nothing to record.
// The same methods serve the public mutations and replay.
type index struct {
	msgs     map[MsgID]msgEntry
	fresh    map[MsgID]uint32 // put but never referenced yet → compaction generation at put
	sessions map[string]*session
	retained map[string]MsgID
	gen      uint32               // compactions started
	genAt    map[uint32]time.Time // when each generation began (gen became that value)
	nextID   MsgID
	replay   bool  // during Open: fresh is not kept, unreferenced messages are swept at the end
	live     int64 // bytes of live message records plus the state records a compaction writes
}

func newIndex() index {
	return index{
		msgs:     make(map[MsgID]msgEntry),
		fresh:    make(map[MsgID]uint32),
		sessions: make(map[string]*session),
		retained: make(map[string]MsgID),
		genAt:    make(map[uint32]time.Time),
		nextID:   1,
	}
}

func (x *index) addMessage(id MsgID, e msgEntry) error {
	if id == 0 {
		return fmt.Errorf("message id 0: %w", ErrCorrupt)
	}
	if _, dup := x.msgs[id]; dup {
		return fmt.Errorf("message %d: %w", id, ErrExists)
	}
	x.msgs[id] = e
	if !x.replay {
		x.fresh[id] = x.gen
	}
	x.live += int64(e.size)
	if id >= x.nextID {
		x.nextID = id + 1
	}
	return nil
}

func (x *index) ref(id MsgID) error {
	e, ok := x.msgs[id]
	if !ok {
		return fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	e.refs++
	x.msgs[id] = e
	if e.refs == 1 && !x.replay {
		delete(x.fresh, id)
	}
	return nil
}

// unref drops a reference; the message is garbage once none is left.
func (x *index) unref(id MsgID) {
	e, ok := x.msgs[id]
	if !ok {
		return
	}
	if e.refs <= 1 {
		delete(x.msgs, id)
		x.live -= int64(e.size)
		return
	}
	e.refs--
	x.msgs[id] = e
}

func (x *index) addBytes(ss *session, n int) {
	ss.bytes += int64(n)
	x.live += int64(n)
}

// session returns the session for cid, creating an empty one when create is set.
func (x *index) session(cid string, create bool) *session {
	ss := x.sessions[cid]
	if ss == nil && create {
		ss = &session{id: cid}
		x.sessions[cid] = ss
		x.addBytes(ss, sessionSize(cid, nil))
	}
	return ss
}

func (x *index) getSession(cid string) (*session, error) {
	if ss := x.sessions[cid]; ss != nil {
		return ss, nil
	}
	return nil, fmt.Errorf("session %q: %w", cid, ErrNotFound)
}

// putSession creates or replaces a session's metadata and subscriptions and marks it
// connected. subs must not be modified afterwards.
func (x *index) putSession(cid string, expiry uint32, subs []Subscription) {
	ss := x.session(cid, true)
	x.addBytes(ss, sessionSize(cid, subs)-sessionSize(cid, ss.subs))
	ss.expiry, ss.subs = expiry, subs
	if ss.discAt != 0 {
		x.addBytes(ss, -disconnectedSize(cid))
		ss.discAt = 0
	}
}

func (x *index) disconnected(cid string, at int64) error {
	ss, err := x.getSession(cid)
	if err != nil {
		return err
	}
	switch {
	case ss.discAt == at:
		return errNoop
	case ss.discAt == 0:
		x.addBytes(ss, disconnectedSize(cid))
	case at == 0:
		x.addBytes(ss, -disconnectedSize(cid))
	}
	ss.discAt = at
	return nil
}

func (x *index) deleteSession(cid string) error {
	ss := x.sessions[cid]
	if ss == nil {
		return errNoop
	}
	for _, q := range ss.live() {
		x.unref(q.Msg)
	}
	x.live -= ss.bytes
	delete(x.sessions, cid)
	return nil
}

func (x *index) enqueue(cid string, q Queued) error {
	if _, ok := x.msgs[q.Msg]; !ok {
		return fmt.Errorf("message %d: %w", q.Msg, ErrNotFound)
	}
	ss := x.session(cid, false)
	unsorted := false
	if ss != nil {
		// Ids are assigned in increasing order, so a queue is usually sorted and a new id
		// past its tail cannot be in it; otherwise look.
		if lq := ss.live(); len(lq) > 0 && (ss.unsorted || q.Msg <= lq[len(lq)-1].Msg) {
			if ss.find(q.Msg) >= 0 {
				return fmt.Errorf("message %d in queue of %q: %w", q.Msg, cid, ErrExists)
			}
			unsorted = q.Msg < lq[len(lq)-1].Msg
		}
	} else {
		ss = x.session(cid, true)
	}
	_ = x.ref(q.Msg) // cannot fail: checked above
	ss.queue = append(ss.queue, q)
	ss.unsorted = ss.unsorted || unsorted
	x.addBytes(ss, enqueueSize(cid))
	return nil
}

func (x *index) findQueued(cid string, msg MsgID) (*session, int, error) {
	ss, err := x.getSession(cid)
	if err != nil {
		return nil, 0, err
	}
	i := ss.find(msg)
	if i < 0 {
		return nil, 0, fmt.Errorf("message %d in queue of %q: %w", msg, cid, ErrNotFound)
	}
	return ss, i, nil
}

func (x *index) setInflight(cid string, msg MsgID, packetID uint16, released bool) error {
	ss, i, err := x.findQueued(cid, msg)
	if err != nil {
		return err
	}
	q := &ss.queue[i]
	if q.PacketID == packetID && q.Released == released {
		return errNoop
	}
	q.PacketID, q.Released = packetID, released
	return nil
}

func (x *index) dequeue(cid string, msg MsgID) error {
	ss, i, err := x.findQueued(cid, msg)
	if err != nil {
		return err
	}
	ss.removeAt(i)
	x.unref(msg)
	x.addBytes(ss, -enqueueSize(cid))
	return nil
}

func (x *index) addInbound(cid string, packetID uint16) error {
	ss := x.session(cid, false)
	if ss != nil && slices.Contains(ss.inbound, packetID) {
		return fmt.Errorf("inbound packet id %d of %q: %w", packetID, cid, ErrExists)
	}
	ss = x.session(cid, true)
	ss.inbound = append(ss.inbound, packetID)
	x.addBytes(ss, inboundSize(cid))
	return nil
}

func (x *index) removeInbound(cid string, packetID uint16) error {
	ss, err := x.getSession(cid)
	if err != nil {
		return err
	}
	i := slices.Index(ss.inbound, packetID)
	if i < 0 {
		return fmt.Errorf("inbound packet id %d of %q: %w", packetID, cid, ErrNotFound)
	}
	ss.inbound = slices.Delete(ss.inbound, i, i+1)
	x.addBytes(ss, -inboundSize(cid))
	return nil
}

func (x *index) setRetained(topic string, msg MsgID) error {
	old, had := x.retained[topic]
	if had && old == msg {
		return errNoop
	}
	if err := x.ref(msg); err != nil {
		return err
	}
	if had {
		x.unref(old)
	} else {
		x.live += int64(setRetainedSize(topic))
	}
	x.retained[topic] = msg
	return nil
}

func (x *index) clearRetained(topic string) error {
	old, had := x.retained[topic]
	if !had {
		return errNoop
	}
	x.unref(old)
	delete(x.retained, topic)
	x.live -= int64(setRetainedSize(topic))
	return nil
}

// setWill sets (w != nil, creating the session) or clears a session's will. w must not be
// modified afterwards.
func (x *index) setWill(cid string, w *Will) error {
	ss := x.session(cid, w != nil)
	if ss == nil || (w == nil && ss.will == nil) {
		return errNoop
	}
	if ss.will != nil {
		x.addBytes(ss, -willSize(cid, ss.will))
	}
	if w != nil {
		x.addBytes(ss, willSize(cid, w))
	}
	ss.will = w
	return nil
}

// dropFresh removes the messages put before generation before, never referenced, and
// unreferenced since before cutoff (the generation after theirs began before it), and returns
// how many it removed.
func (x *index) dropFresh(before uint32, cutoff time.Time) int {
	n := 0
	for id, g := range x.fresh {
		if g < before && !x.genAt[g+1].After(cutoff) {
			if e, ok := x.msgs[id]; ok {
				x.live -= int64(e.size)
				delete(x.msgs, id)
			}
			delete(x.fresh, id)
			n++
		}
	}
	return n
}

// endReplay drops the messages nothing references, returns how many, and trims the memory
// replay grew.
func (x *index) endReplay() int {
	n := 0
	for id, e := range x.msgs {
		if e.refs == 0 {
			delete(x.msgs, id)
			x.live -= int64(e.size)
			n++
		}
	}
	for _, ss := range x.sessions {
		if ss.head > 0 || cap(ss.queue)-len(ss.queue) > 64 {
			ss.queue, ss.head = slices.Clone(ss.live()), 0
		}
	}
	x.replay = false
	return n
}

// state copies the live state out for Open.
func (x *index) state() *State {
	st := &State{Sessions: make([]Session, 0, len(x.sessions)), Retained: make(map[string]MsgID, len(x.retained))}
	for _, ss := range x.sessions {
		st.Sessions = append(st.Sessions, ss.export())
	}
	slices.SortFunc(st.Sessions, func(a, b Session) int {
		switch {
		case a.ClientID < b.ClientID:
			return -1
		case a.ClientID > b.ClientID:
			return 1
		}
		return 0
	})
	for t, id := range x.retained {
		st.Retained[t] = id
	}
	return st
}

func (ss *session) export() Session {
	s := Session{
		ClientID:       ss.id,
		Expiry:         ss.expiry,
		DisconnectedAt: ss.discAt,
		Subs:           cloneOrNil(ss.subs),
		Queue:          cloneOrNil(ss.live()),
		InboundQoS2:    cloneOrNil(ss.inbound),
	}
	if ss.will != nil {
		w := *ss.will
		w.Msg.Payload = cloneOrNil(w.Msg.Payload)
		w.Msg.Props = cloneOrNil(w.Msg.Props)
		s.Will = &w
	}
	return s
}

// cloneOrNil copies s; an empty s gives nil.
func cloneOrNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
