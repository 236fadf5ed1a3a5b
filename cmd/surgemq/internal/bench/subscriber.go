package bench

import (
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// subscriber is the receiving side of one client. Everything but the atomics is touched only
// by the connection's reader goroutine until it has returned.
type subscriber struct {
	idx    int
	c      *client
	filter string
	base   int      // first publisher index this subscriber hears
	tracks []seqSet // sequences received from publishers base, base+1, …

	delivered atomic.Int64 // PUBLISH packets received
	unique    atomic.Int64 // first deliveries of a (publisher, sequence)

	hist    histogram
	dups    int64
	foreign int64 // payloads without a valid header from an expected publisher
	last    int64 // Unix nanoseconds of the last delivery
}

func newSubscriber(idx int, c *client, filter string, base, feeds int) *subscriber {
	return &subscriber{idx: idx, c: c, filter: filter, base: base, tracks: make([]seqSet, feeds)}
}

// onPublish accounts one delivery and queues its acknowledgement.
func (s *subscriber) onPublish(p *packet.Publish) {
	now := time.Now().UnixNano()
	s.delivered.Add(1)
	s.last = now
	switch p.QoS {
	case packet.QoS1:
		s.c.queueAck(packet.PUBACK, p.PacketID)
	case packet.QoS2:
		s.c.queueAck(packet.PUBREC, p.PacketID) // PUBCOMP follows the broker's PUBREL
	}
	st, ok := readStamp(p.Payload)
	i := int(st.pub) - s.base
	if !ok || st.pub > uint64(len(s.tracks)+s.base) || i < 0 || i >= len(s.tracks) {
		s.foreign++
		return
	}
	isNew, ok := s.tracks[i].add(st.seq)
	switch {
	case !ok:
		s.foreign++
	case isNew:
		s.unique.Add(1)
		s.hist.record(now - st.sent)
	default:
		s.dups++
	}
}
