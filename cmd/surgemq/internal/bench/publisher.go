package bench

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// batchBytes is roughly how much a publisher encodes at a time; maxQueued is how much it
// lets wait for the writer before it waits itself.
const (
	batchBytes = 32 << 10
	maxQueued  = 256 << 10
)

// Window slot states.
const (
	slotFree     = iota
	slotSent     // PUBLISH sent, PUBACK or PUBREC awaited
	slotReleased // QoS 2: PUBREC received and PUBREL sent, PUBCOMP awaited
)

type slot struct {
	id    uint16
	state uint8
	seq   uint64
}

// publisher is one publishing client: its goroutine (run) sends, the connection's reader
// goroutine reports acks.
type publisher struct {
	idx    int
	c      *client
	topic  string
	qos    packet.QoS
	window int

	sent     atomic.Int64  // PUBLISH packets written
	acked    atomic.Int64  // PUBACK (QoS 1) or PUBREC (QoS 2) received with success
	inflight atomic.Int64  // window slots in use
	wake     chan struct{} // capacity 1: a window slot was freed

	mu         sync.Mutex // guards the fields below (publisher and reader goroutines)
	slots      []slot     // indexed by packet id & (len-1)
	nextID     uint16
	ackedSet   seqSet // sequences the broker acknowledged
	rejected   int64  // 5.0 acks with a failure reason code
	unexpected int64  // acks for ids not in flight

	finished time.Time // when run returned; read after it did
}

func newPublisher(idx int, c *client, topic string, cfg *Config) *publisher {
	p := &publisher{idx: idx, c: c, topic: topic, qos: cfg.QoS, wake: make(chan struct{}, 1)}
	if cfg.QoS > 0 {
		p.window = max(1, min(cfg.Inflight, c.recvMax))
		p.slots = make([]slot, 1<<bits.Len(uint(p.window-1)))
	}
	return p
}

// run publishes until count messages are sent (0: no limit) or pctx ends, at rate messages
// per second (0: as fast as the connection and window allow). Messages are stamped with
// their due time at a fixed rate, else with the time their batch was encoded.
func (p *publisher) run(pctx context.Context, cfg *Config, t0 time.Time) error {
	defer func() { p.finished = time.Now() }()
	payload := newPayload(cfg.Size)
	pk := packet.Publish{QoS: p.qos, Topic: p.topic, Payload: payload}
	batch := max(1, min(256, batchBytes/cfg.Size))
	if p.qos > 0 {
		batch = min(batch, p.window)
	}
	buf := make([]byte, 0, batch*(cfg.Size+len(p.topic)+16))
	ids := make([]uint16, batch)
	count := uint64(cfg.Count)
	var interval float64
	if cfg.Rate > 0 {
		interval = float64(time.Second) / cfg.Rate
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	done := pctx.Done()
	for seq := uint64(0); count == 0 || seq < count; {
		if pctx.Err() != nil {
			return nil
		}
		n := batch
		if count > 0 {
			n = int(min(uint64(n), count-seq))
		}
		if interval > 0 {
			due := uint64(float64(time.Since(t0))/interval) + 1 // messages 0..due-1 are due
			if seq >= due {
				wait := time.Until(t0.Add(time.Duration(float64(seq) * interval)))
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-timer.C:
				case <-done:
					return nil
				}
				continue
			}
			n = int(min(uint64(n), due-seq))
		}
		if p.qos > 0 {
			if n = p.reserve(ids[:n], seq); n == 0 {
				select {
				case <-p.wake:
				case <-done:
					return nil
				}
				continue
			}
		}
		now := time.Now().UnixNano()
		buf = buf[:0]
		for i := range n {
			ts := now
			if interval > 0 {
				ts = t0.UnixNano() + int64(float64(seq)*interval)
			}
			putStamp(payload, stamp{pub: uint64(p.idx), seq: seq, sent: ts})
			if p.qos > 0 {
				pk.PacketID = ids[i]
			}
			var err error
			if buf, err = pk.Encode(buf, cfg.Version); err != nil {
				return fmt.Errorf("publish %s: %w", p.c.name, err)
			}
			seq++
		}
		if err := p.c.enqueue(buf); err != nil {
			if p.c.closing.Load() {
				return nil
			}
			return fmt.Errorf("publish %s: %w", p.c.name, err)
		}
		p.sent.Store(int64(seq))
		for p.c.queued() >= maxQueued { // the socket is the flow control
			select {
			case <-p.c.drained:
			case <-done:
				return nil
			}
		}
	}
	return nil
}

// reserve assigns packet ids to up to len(ids) messages starting at sequence seq, as far as
// the window allows, and returns how many it assigned.
func (p *publisher) reserve(ids []uint16, seq uint64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	mask := uint16(len(p.slots) - 1)
	n := 0
	for n < len(ids) && int(p.inflight.Load()) < p.window {
		id := p.nextID + 1
		if id == 0 {
			id = 1 // [MQTT-2.3.1-1] packet identifiers are non-zero
		}
		s := &p.slots[id&mask]
		if s.state != slotFree {
			break // an older message still holds this slot: wait for its ack
		}
		*s = slot{id: id, state: slotSent, seq: seq + uint64(n)}
		p.nextID = id
		p.inflight.Add(1)
		ids[n] = id
		n++
	}
	return n
}

// onAck handles PUBACK, PUBREC or PUBCOMP for id and reports whether a PUBREL is due.
func (p *publisher) onAck(kind packet.Type, id uint16, code byte) (sendRel bool) {
	if p.slots == nil {
		p.mu.Lock()
		p.unexpected++
		p.mu.Unlock()
		return false
	}
	freed := false
	p.mu.Lock()
	s := &p.slots[id&uint16(len(p.slots)-1)]
	switch {
	case s.state == slotFree || s.id != id:
		p.unexpected++
	case code >= 0x80 && (kind == packet.PUBACK || kind == packet.PUBREC):
		p.rejected++ // 5.0: the broker refused the message; the exchange ends here
		freed = true
	case kind == packet.PUBACK && p.qos == packet.QoS1 && s.state == slotSent,
		kind == packet.PUBREC && p.qos == packet.QoS2 && s.state == slotSent:
		p.ackedSet.add(s.seq)
		p.acked.Add(1)
		if kind == packet.PUBREC {
			s.state = slotReleased
			sendRel = true
		} else {
			freed = true
		}
	case kind == packet.PUBCOMP && s.state == slotReleased:
		freed = true
	default:
		p.unexpected++
	}
	if freed {
		s.state = slotFree
		p.inflight.Add(-1)
	}
	p.mu.Unlock()
	if freed {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return sendRel
}
