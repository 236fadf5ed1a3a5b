package adapterstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
)

// Client is an in-memory adapters.Client. The zero value is not usable; call New.
type Client struct {
	mu         sync.Mutex
	published  []adapters.Message
	retained   map[string]adapters.Message
	subs       map[uint64]*subscription
	nextID     uint64
	inflight   int           // messages queued to or running in a handler
	changed    chan struct{} // closed and replaced on every change, see Wait
	publishErr error
}

var _ adapters.Client = (*Client)(nil)

// New returns an empty Client.
func New() *Client {
	return &Client{
		retained: make(map[string]adapters.Message),
		subs:     make(map[uint64]*subscription),
		changed:  make(chan struct{}),
	}
}

// notifyLocked wakes every Wait. c.mu must be held.
func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Publish records the message, updates the retained store (an empty retained payload deletes
// the topic's retained message [MQTT-3.3.1-10]) and delivers it to matching subscriptions. It
// returns the error set by SetPublishError, ctx's error, or ErrInvalidTopic / ErrInvalidQoS.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidTopic(topic) {
		return fmt.Errorf("publish %q: %w", topic, ErrInvalidTopic)
	}
	if qos > 2 {
		return fmt.Errorf("publish %q qos %d: %w", topic, qos, ErrInvalidQoS)
	}
	m := adapters.Message{Topic: topic, Payload: slices.Clone(payload), QoS: qos, Retain: retain}
	if m.Payload == nil {
		m.Payload = []byte{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.publishErr != nil {
		return c.publishErr
	}
	c.published = append(c.published, m)
	if retain {
		if len(payload) == 0 {
			delete(c.retained, topic)
		} else {
			c.retained[topic] = m
		}
	}
	// A broker forwards with the retain flag cleared to existing subscribers [MQTT-3.3.1-9].
	fwd := m
	fwd.Retain = false
	c.deliverLocked(fwd)
	c.notifyLocked()
	return nil
}

// Subscribe registers h for filter until ctx ends or the returned function is called. A new
// subscription first receives the matching retained messages, flagged Retain [MQTT-3.3.1-6].
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte, h adapters.Handler) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !ValidFilter(filter) {
		return nil, fmt.Errorf("subscribe %q: %w", filter, ErrInvalidFilter)
	}
	if qos > 2 {
		return nil, fmt.Errorf("subscribe %q qos %d: %w", filter, qos, ErrInvalidQoS)
	}
	if h == nil {
		return nil, fmt.Errorf("subscribe %q: nil handler", filter)
	}
	c.mu.Lock()
	c.nextID++
	s := &subscription{
		c:      c,
		id:     c.nextID,
		filter: filter,
		h:      h,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	c.subs[s.id] = s
	topics := make([]string, 0, len(c.retained))
	for t := range c.retained {
		if Match(filter, t) {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	for _, t := range topics {
		c.enqueueLocked(s, c.retained[t])
	}
	c.notifyLocked()
	c.mu.Unlock()

	go s.loop()
	stop := context.AfterFunc(ctx, s.unsubscribe)
	return func() {
		stop()
		s.unsubscribe()
	}, nil
}

// Inject delivers a message published by "someone else" to every matching subscription and
// returns how many subscriptions it was queued to. Retained messages are stored as Publish
// would; the handlers see Retain false, as for a live publish.
func (c *Client) Inject(topic string, payload []byte, retain bool) int {
	m := adapters.Message{Topic: topic, Payload: slices.Clone(payload)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if retain {
		if len(payload) == 0 {
			delete(c.retained, topic)
		} else {
			r := m
			r.Retain = true
			c.retained[topic] = r
		}
	}
	n := c.deliverLocked(m)
	c.notifyLocked()
	return n
}

func (c *Client) deliverLocked(m adapters.Message) int {
	n := 0
	for _, s := range c.subs {
		if Match(s.filter, m.Topic) {
			c.enqueueLocked(s, m)
			n++
		}
	}
	return n
}

func (c *Client) enqueueLocked(s *subscription, m adapters.Message) {
	s.queue = append(s.queue, m)
	c.inflight++
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SetPublishError makes every following Publish return err (nil restores normal operation).
func (c *Client) SetPublishError(err error) {
	c.mu.Lock()
	c.publishErr = err
	c.mu.Unlock()
}

// Messages returns a copy of every message published so far, in order.
func (c *Client) Messages() []adapters.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.published)
}

// Topic returns a copy of the messages published to exactly topic, in order.
func (c *Client) Topic(topic string) []adapters.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []adapters.Message
	for _, m := range c.published {
		if m.Topic == topic {
			out = append(out, m)
		}
	}
	return out
}

// Matching returns a copy of the messages published to topics matching filter, in order.
func (c *Client) Matching(filter string) []adapters.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []adapters.Message
	for _, m := range c.published {
		if Match(filter, m.Topic) {
			out = append(out, m)
		}
	}
	return out
}

// Retained returns the retained message the broker would hold for topic.
func (c *Client) Retained(topic string) (adapters.Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.retained[topic]
	return m, ok
}

// RetainedPayload returns the retained payload for topic as a string, "" when none.
func (c *Client) RetainedPayload(topic string) string {
	m, _ := c.Retained(topic)
	return string(m.Payload)
}

// Subscribed reports whether a subscription with exactly this filter is active.
func (c *Client) Subscribed(filter string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		if s.filter == filter {
			return true
		}
	}
	return false
}

// Subscriptions returns the filters of the active subscriptions, sorted.
func (c *Client) Subscriptions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.subs))
	for _, s := range c.subs {
		out = append(out, s.filter)
	}
	slices.Sort(out)
	return out
}

// Idle reports whether no delivered message is waiting for or running in a handler.
func (c *Client) Idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight == 0
}

// Wait blocks until cond returns true or timeout passes, re-evaluating cond after every
// publish, delivery, subscribe and unsubscribe, and reports whether cond became true. cond
// runs without the client's lock held and may call the client's methods.
func (c *Client) Wait(timeout time.Duration, cond func() bool) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return cond()
		}
	}
}

// subscription is one active Subscribe: a queue drained in order by its own goroutine.
type subscription struct {
	c      *Client
	id     uint64
	filter string
	h      adapters.Handler
	queue  []adapters.Message // guarded by c.mu
	wake   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func (s *subscription) unsubscribe() {
	s.once.Do(func() {
		c := s.c
		c.mu.Lock()
		delete(c.subs, s.id)
		c.inflight -= len(s.queue)
		s.queue = nil
		c.notifyLocked()
		c.mu.Unlock()
		close(s.done)
	})
}

func (s *subscription) loop() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			c := s.c
			c.mu.Lock()
			if len(s.queue) == 0 {
				c.mu.Unlock()
				break
			}
			m := s.queue[0]
			s.queue = s.queue[1:]
			c.mu.Unlock()

			s.h(m)

			c.mu.Lock()
			c.inflight--
			c.notifyLocked()
			c.mu.Unlock()
			select {
			case <-s.done:
				return
			default:
			}
		}
	}
}
