package mqttclient

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/mqtt"
)

// unsubscribeTimeout bounds the background UNSUBSCRIBE sent when a filter's last subscription
// ends; a client that stays disconnected longer keeps the filter (its messages are dropped).
const unsubscribeTimeout = 10 * time.Second

// New returns an adapters.Client that publishes and subscribes through c. c stays the
// caller's: Disconnect it when done (after ending the subscriptions, see the package doc).
func New(c *mqtt.Client) adapters.Client {
	return &client{
		c:       c,
		ops:     make(chan struct{}, 1),
		filters: make(map[string][]*subscription),
	}
}

// client implements adapters.Client on an *mqtt.Client.
//
// Lock order: ops (a one-slot semaphore held across network SUBSCRIBE and UNSUBSCRIBE, so the
// two never interleave for a filter), then mu.
type client struct {
	c   *mqtt.Client
	ops chan struct{}

	mu sync.RWMutex
	// filters maps a subscribed filter to its subscriptions. Slices are replaced, never
	// modified, so the dispatcher can range over one without holding mu. A filter whose last
	// subscription ended stays with an empty slice until its UNSUBSCRIBE is sent.
	filters map[string][]*subscription
}

// Publish implements adapters.Client: mqtt.Client.Publish at qos with retain.
func (a *client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if qos > 2 {
		return fmt.Errorf("publish %s: %w: %d", topic, ErrBadQoS, qos)
	}
	if err := a.c.Publish(ctx, topic, payload, mqtt.QoS(qos), mqtt.RetainOption(retain)); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe implements adapters.Client. It returns once the broker acknowledged the
// subscription (or, for a filter this client already subscribes to, at once). The error of a
// refused subscription wraps mqtt.ErrSubscribeRefused.
func (a *client) Subscribe(ctx context.Context, filter string, qos byte, h adapters.Handler) (unsubscribe func(), err error) {
	if h == nil {
		return nil, fmt.Errorf("subscribe %s: %w", filter, ErrNilHandler)
	}
	if qos > 2 {
		return nil, fmt.Errorf("subscribe %s: %w: %d", filter, ErrBadQoS, qos)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case a.ops <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.ops }()

	s := newSubscription(h)
	// The subscription is routable before SUBSCRIBE goes out: the retained messages the
	// broker sends right after its SUBACK may be dispatched before the request returns.
	a.mu.Lock()
	shared := len(a.filters[filter]) > 0
	a.filters[filter] = append(slices.Clone(a.filters[filter]), s)
	a.mu.Unlock()
	if !shared {
		sub := mqtt.Subscription{Filter: filter, QoS: mqtt.QoS(qos)}
		if _, err := a.c.Subscribe(ctx, a.router(filter), sub); err != nil {
			if a.remove(filter, s) {
				// A SUBSCRIBE cut short by ctx may still have reached the broker.
				go a.unsubscribe(filter)
			}
			return nil, fmt.Errorf("subscribe %s: %w", filter, err)
		}
	}
	go s.loop()

	var once sync.Once
	end := func() {
		once.Do(func() {
			s.end()
			if a.remove(filter, s) {
				go a.unsubscribe(filter)
			}
		})
	}
	stop := context.AfterFunc(ctx, end)
	return func() {
		stop()
		end()
	}, nil
}

// router returns the mqtt handler of filter: it queues every message to the filter's
// subscriptions. It runs on the mqtt client's dispatcher and never blocks.
func (a *client) router(filter string) mqtt.Handler {
	return func(m *mqtt.Message) {
		a.mu.RLock()
		subs := a.filters[filter]
		a.mu.RUnlock()
		if len(subs) == 0 {
			return
		}
		// A decoded payload is never written again (see package packet), so the subscriptions
		// may share it without a copy.
		msg := adapters.Message{Topic: m.Topic, Payload: m.Payload, QoS: byte(m.QoS), Retain: m.Retain}
		for _, s := range subs {
			s.enqueue(msg)
		}
	}
}

// remove takes s out of filter's subscriptions and reports whether it was the last one.
func (a *client) remove(filter string, s *subscription) (last bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	subs := a.filters[filter]
	i := slices.Index(subs, s)
	if i < 0 {
		return false
	}
	a.filters[filter] = slices.Delete(slices.Clone(subs), i, i+1)
	return len(a.filters[filter]) == 0
}

// unsubscribe sends UNSUBSCRIBE for filter unless it was subscribed again meanwhile. It gives
// up after unsubscribeTimeout; mqtt.Client.Disconnect ends it at once.
func (a *client) unsubscribe(filter string) {
	ctx, cancel := context.WithTimeout(context.Background(), unsubscribeTimeout)
	defer cancel()
	select {
	case a.ops <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-a.ops }()
	a.mu.Lock()
	subs, ok := a.filters[filter]
	if !ok || len(subs) > 0 {
		a.mu.Unlock()
		return
	}
	delete(a.filters, filter)
	a.mu.Unlock()
	// On failure the mqtt client keeps routing the filter here, where nothing takes it; a
	// later Subscribe of the filter subscribes again.
	_ = a.c.Unsubscribe(ctx, filter)
}
