package broker

import (
	"fmt"
	"time"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// openStore opens the durable store and rebuilds the sessions and retained messages it holds.
// Queued messages come back without their payloads (read from disk when sent), so a restart
// with a long backlog neither takes long nor holds the backlog in memory.
func (s *Server) openStore(o store.Options) error {
	if o.Logger == nil {
		o.Logger = s.log
	}
	st, state, err := store.Open(o)
	if err != nil {
		return fmt.Errorf("broker: open store %s: %w", o.Dir, err)
	}
	s.persist = &persist{st: st, always: o.Fsync == store.FsyncAlways, srv: s}

	lazy := make(map[store.MsgID]*Message)
	msg := func(id store.MsgID) *Message {
		m := lazy[id]
		if m == nil {
			m = &Message{sid: id, lazy: true}
			lazy[id] = m
		}
		return m
	}
	queued := 0
	var dueWills []*Message // wills whose delay ran out while the broker was down
	for _, ss := range state.Sessions {
		sess := newSession(s, ss.ClientID, true)
		sess.expiry, sess.stored = ss.Expiry, true
		for _, sub := range ss.Subs {
			sess.subs[sub.Filter] = subscriptionFrom(sub)
			s.subs.Add(sub.Filter, sess, subscriptionFrom(sub))
		}
		sess.nsubs.Store(int32(len(sess.subs)))
		for _, q := range ss.Queue {
			if q.PacketID != 0 {
				sess.inflight = append(sess.inflight, inflight{id: q.PacketID, msg: msg(q.Msg), qos: qosOf(q.QoS), retain: q.Retain, released: q.Released})
				sess.nextID = max(sess.nextID, q.PacketID)
			} else {
				sess.queue = append(sess.queue, pending{msg: msg(q.Msg), qos: qosOf(q.QoS), retain: q.Retain})
			}
			queued++
		}
		s.stats.queued.Add(int64(sess.qlen()))
		for _, id := range ss.InboundQoS2 {
			if sess.inQoS2 == nil {
				sess.inQoS2 = make(map[uint16]struct{})
			}
			sess.inQoS2[id] = struct{}{}
		}
		s.sessions[sess.id] = sess
		if w := ss.Will; w != nil {
			m := fromStored(w.Msg, 0)
			if due := time.Unix(w.Due, 0); due.After(time.Now()) {
				sess.mu.Lock() // the timer may fire at once
				s.delayWill(sess, m, due)
				sess.mu.Unlock()
			} else {
				dueWills = append(dueWills, m)
				s.persist.setWill(sess, nil, time.Time{})
			}
		}
		if sess.expiry != neverExpires {
			gone := ss.DisconnectedAt
			if gone == 0 {
				gone = time.Now().Unix() // connected when the broker stopped: offline from now
			}
			left := time.Until(time.Unix(gone+int64(sess.expiry), 0))
			if left <= 0 {
				sess.mu.Lock()
				if m := sess.takeWill(); m != nil {
					dueWills = append(dueWills, m) // the session ended: its will goes out
				}
				sess.mu.Unlock()
				sess.discard()
				delete(s.sessions, sess.id)
				continue
			}
			s.scheduleExpiry(sess, left)
		}
	}
	for topicName, id := range state.Retained {
		sm, err := st.Message(id)
		if err != nil {
			s.log.Warn("persistence: dropping unreadable retained message", "topic", topicName, "err", err)
			continue
		}
		m := fromStored(sm, id)
		m.Retain = true
		s.retained.msgs[topicName] = m
	}
	for _, m := range dueWills {
		var r router
		s.publish(m, nil, &r)
	}
	s.log.Info("persistence: restored", "dir", o.Dir, "sessions", len(state.Sessions),
		"messages", queued, "retained", len(s.retained.msgs))
	return nil
}

// qosOf converts a stored QoS, clamping a damaged value.
func qosOf(b byte) packet.QoS { return min(packet.QoS(b), packet.QoS2) }
