// Package inproc connects adapters to a broker in the same process: an adapters.Client that
// publishes and subscribes on a *broker.Server without a socket. It lives apart from package
// adapters so that a standalone adapter binary (pingmq) does not link the broker.
package inproc

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// New returns an adapters.Client that publishes and subscribes directly on s, without a socket:
// what the gateway hands its adapters. Publish copies the payload (the caller may reuse its
// buffer) and returns once the broker has routed the message; it never blocks on
// subscribers. Subscribe calls the handler from one goroutine per subscription, in order;
// a handler more than 1024 messages behind loses the excess (see broker.Server.Subscribe).
func New(s *broker.Server) adapters.Client {
	return inProcess{s: s}
}

type inProcess struct {
	s *broker.Server
}

// Publish implements Client.
func (c inProcess) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if qos > 2 {
		return fmt.Errorf("publish %s: qos %d is not 0, 1 or 2", topic, qos)
	}
	return c.s.Publish(topic, bytes.Clone(payload), packet.QoS(qos), retain)
}

// Subscribe implements Client. The subscription ends when ctx ends, when unsubscribe is
// called or when the broker shuts down.
func (c inProcess) Subscribe(ctx context.Context, filter string, qos byte, h adapters.Handler) (unsubscribe func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if qos > 2 {
		return nil, fmt.Errorf("subscribe %s: qos %d is not 0, 1 or 2", filter, qos)
	}
	var ended atomic.Bool // no handler call starts after unsubscribe or ctx end
	unsub, err := c.s.Subscribe(filter, packet.QoS(qos), func(m *broker.Message) {
		if ended.Load() || ctx.Err() != nil {
			return
		}
		h(adapters.Message{Topic: m.Topic, Payload: m.Payload, QoS: byte(m.QoS), Retain: m.Retain})
	})
	if err != nil {
		return nil, err
	}
	end := func() {
		ended.Store(true)
		unsub() // idempotent
	}
	stop := context.AfterFunc(ctx, end)
	return func() {
		stop()
		end()
	}, nil
}
