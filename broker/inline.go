package broker

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// inlineQueueLen bounds the messages waiting for one in-process subscriber's handler.
const inlineQueueLen = 1024

// ErrInvalidTopic is returned by Publish and Subscribe for a topic name or filter that is not
// valid.
var ErrInvalidTopic = errors.New("broker: invalid topic")

// Publish publishes a message from Go code in the same process, without a socket, as a
// client would: retained messages are stored, subscribers get it at the QoS they were
// granted. It never blocks on subscribers. It fails for an invalid topic name or after
// Shutdown.
func (s *Server) Publish(topicName string, payload []byte, qos packet.QoS, retain bool) error {
	if err := topic.ValidName(topicName); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidTopic, topicName, err)
	}
	if qos > packet.QoS2 {
		return fmt.Errorf("%w: qos %d", ErrInvalidOptions, qos)
	}
	if s.isClosed() {
		return ErrServerClosed
	}
	s.stats.messagesReceived.Add(1)
	var r router
	s.publish(&Message{Topic: topicName, Payload: payload, QoS: qos, Retain: retain}, nil, &r)
	return nil
}

// Subscribe calls fn, from one goroutine of its own and in order, for every message that
// matches filter, retained messages first, until the returned unsubscribe function is called
// or the server shuts down. Messages arrive at min(their QoS, qos). A handler that falls more
// than 1024 messages behind loses the excess (counted as dropped), so it never slows
// publishers.
func (s *Server) Subscribe(filter string, qos packet.QoS, fn func(*Message)) (unsubscribe func(), err error) {
	if err := topic.ValidFilter(filter); err != nil || topic.IsShared(filter) {
		if err == nil {
			err = errors.New("shared subscriptions are not supported")
		}
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidTopic, filter, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrServerClosed
	}
	n := s.inlineSeq.Add(1)
	in := &inlineSub{ch: make(chan *Message, inlineQueueLen), done: make(chan struct{}), drops: &s.stats.dropped}
	sess := newSession(s, "$inline/"+strconv.FormatUint(n, 10), false)
	sess.inline = in
	s.inlines[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		for {
			select {
			case m := <-in.ch:
				fn(m)
			case <-in.done:
				return
			}
		}
	}()
	sess.mu.Lock()
	sess.addSub(filter, subscription{qos: min(qos, packet.QoS2)})
	sess.mu.Unlock()
	s.retained.match(filter, func(m *Message) { sess.deliver(m, min(m.QoS, qos), true, nil) })

	var once sync.Once
	return func() {
		once.Do(func() {
			sess.mu.Lock()
			sess.discard()
			sess.mu.Unlock()
			s.mu.Lock()
			delete(s.inlines, sess)
			s.mu.Unlock()
			in.stop()
		})
	}, nil
}

// inlineSub is the delivery end of an in-process subscription.
type inlineSub struct {
	ch       chan *Message
	done     chan struct{}
	stopOnce sync.Once
	drops    *atomic.Uint64
}

// deliver hands m to the handler goroutine without blocking. The handler sees the QoS and
// retain flag this delivery has, on a copy when they differ from the published ones.
func (in *inlineSub) deliver(m *Message, qos packet.QoS, retain bool) {
	if m.QoS != qos || m.Retain != retain {
		cp := *m
		cp.QoS, cp.Retain = qos, retain
		m = &cp
	}
	select {
	case in.ch <- m:
	case <-in.done:
	default:
		in.drops.Add(1)
	}
}

func (in *inlineSub) stop() { in.stopOnce.Do(func() { close(in.done) }) }

// closeInline stops every in-process subscription; called by Shutdown.
func (s *Server) closeInline() {
	s.mu.Lock()
	subs := make([]*session, 0, len(s.inlines))
	for sess := range s.inlines {
		subs = append(subs, sess)
	}
	s.mu.Unlock()
	for _, sess := range subs {
		sess.inline.stop()
	}
}
