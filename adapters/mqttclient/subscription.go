package mqttclient

import (
	"sync"
	"sync/atomic"

	"github.com/lonelyleaf/surgemq/adapters"
)

// maxPending bounds the messages waiting for one subscription's handler; more are dropped.
const maxPending = 1024

// keepCap is the queue capacity kept between bursts; a larger buffer is given back.
const keepCap = 64

// subscription runs one handler on its own goroutine, fed by a queue that grows lazily up to
// maxPending messages: an idle subscription costs a goroutine and a few words.
type subscription struct {
	h     adapters.Handler
	wake  chan struct{} // one slot: "the queue is not empty"
	done  chan struct{} // closed by end
	ended atomic.Bool

	mu    sync.Mutex
	queue []adapters.Message
}

func newSubscription(h adapters.Handler) *subscription {
	return &subscription{h: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// enqueue queues m for the handler without blocking; a full queue drops it.
func (s *subscription) enqueue(m adapters.Message) {
	if s.ended.Load() {
		return
	}
	s.mu.Lock()
	if len(s.queue) >= maxPending {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, m)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop calls the handler for every queued message, in order, until end.
func (s *subscription) loop() {
	var batch []adapters.Message
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		batch, s.queue = s.queue, batch[:0]
		s.mu.Unlock()
		for i := range batch {
			if s.ended.Load() {
				return // no handler call starts after end
			}
			s.h(batch[i])
			batch[i] = adapters.Message{} // let the payload go
		}
		if cap(batch) > keepCap {
			batch = nil
		}
	}
}

// end stops the subscription: no handler call starts afterwards. Idempotent.
func (s *subscription) end() {
	if s.ended.CompareAndSwap(false, true) {
		close(s.done)
	}
}
