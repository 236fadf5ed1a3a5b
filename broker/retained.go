package broker

import (
	"slices"
	"strings"
	"sync"

	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// retainedStore holds the last retained message of every topic [MQTT-3.3.1-5].
type retainedStore struct {
	mu   sync.RWMutex
	msgs map[string]*Message
}

func (r *retainedStore) init() { r.msgs = make(map[string]*Message) }

// set stores m, or clears the topic when m's payload is empty [MQTT-3.3.1-10] [MQTT-3.3.1-11].
func (r *retainedStore) set(m *Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(m.Payload) == 0 {
		delete(r.msgs, m.Topic)
		return
	}
	r.msgs[m.Topic] = m
}

// match calls fn for every retained message whose topic matches filter, in topic order. fn
// runs without the store's lock held, so it may deliver freely.
func (r *retainedStore) match(filter string, fn func(*Message)) {
	var hits []*Message
	r.mu.RLock()
	for name, m := range r.msgs {
		if topic.Match(filter, name) {
			hits = append(hits, m)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(hits, func(a, b *Message) int { return strings.Compare(a.Topic, b.Topic) })
	for _, m := range hits {
		fn(m)
	}
}

// len returns the number of retained messages.
func (r *retainedStore) len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.msgs)
}
