package serial

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	bugst "go.bug.st/serial"

	"github.com/lonelyleaf/surgemq/adapters"
)

// The values of the retained state topic.
const (
	Online  = "online"
	Offline = "offline"
)

// stateTimeout bounds the final "offline" publish when Run stops.
const stateTimeout = 2 * time.Second

// Port bridges one serial device and its topics. It implements adapters.Adapter. Create it
// with New.
type Port struct {
	// Open opens the device; New sets it to go.bug.st/serial's Open. Tests replace it before
	// Run, e.g. to count calls or to hand out a pseudo-terminal.
	Open func(path string, mode *bugst.Mode) (bugst.Port, error)

	cfg  Config
	mode *bugst.Mode
	log  *slog.Logger
	now  func() time.Time

	rxTopic, txTopic, stateTopic string

	// pollEvery is how often a quiet session checks that Path still names the device.
	pollEvery time.Duration

	running    atomic.Bool
	online     atomic.Bool // a session is open: tx messages are queued, not dropped
	pubFailing atomic.Bool

	// Counters, for tests and diagnostics.
	opens       atomic.Int64  // Open calls
	txDropped   atomic.Uint64 // tx messages dropped: offline, queue full or undecodable
	rxDropped   atomic.Uint64 // over-long lines dropped
	txWritten   atomic.Uint64 // tx messages written
	rxPublished atomic.Uint64 // rx frames published
}

var _ adapters.Adapter = (*Port)(nil)

// New validates cfg and returns a Port. logger may be nil (discard).
func New(cfg Config, logger *slog.Logger) (*Port, error) {
	mode, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	base := cfg.Prefix + "/serial/" + cfg.Name
	return &Port{
		Open:       bugst.Open,
		cfg:        cfg,
		mode:       mode,
		log:        logger.With("serial", cfg.Name),
		now:        time.Now,
		rxTopic:    base + "/rx",
		txTopic:    base + "/tx",
		stateTopic: base + "/state",
		pollEvery:  time.Second,
	}, nil
}

// Topics returns the port's rx (device → MQTT), tx (MQTT → device) and state topics.
func (p *Port) Topics() (rx, tx, state string) { return p.rxTopic, p.txTopic, p.stateTopic }

// Stats is a snapshot of a Port's counters.
type Stats struct {
	Opens       int64  // attempts to open the device
	RxPublished uint64 // frames published on rx
	RxDropped   uint64 // over-long lines dropped
	TxWritten   uint64 // tx messages written to the device
	TxDropped   uint64 // tx messages dropped: device offline, queue full or undecodable
}

// Stats returns the port's counters.
func (p *Port) Stats() Stats {
	return Stats{
		Opens:       p.opens.Load(),
		RxPublished: p.rxPublished.Load(),
		RxDropped:   p.rxDropped.Load(),
		TxWritten:   p.txWritten.Load(),
		TxDropped:   p.txDropped.Load(),
	}
}

// Run bridges the device and its topics until ctx ends, then publishes "offline" and returns
// nil. It subscribes to the tx topic, opens the device (retrying with backoff while it is
// missing), publishes "online", and after a lost device (unplugged: read or write error, path
// gone) publishes "offline" and reopens with backoff. Errors are only returned for a failed
// subscription.
func (p *Port) Run(ctx context.Context, c adapters.Client) error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer p.running.Store(false)

	txq := make(chan []byte, p.cfg.TxQueue)
	unsub, err := c.Subscribe(ctx, p.txTopic, p.cfg.QoS, func(m adapters.Message) { p.onTx(m, txq) })
	if err != nil {
		return err
	}
	defer unsub()

	st := &stateTracker{p: p, c: c}
	delay := p.cfg.ReconnectMin.Duration
	openFailing := false // log the first failed open of a series, not every one
	for {
		dev, opened, err := p.open()
		if err != nil {
			if !openFailing {
				openFailing = true
				p.log.Warn("serial: cannot open device; retrying with backoff", "path", p.cfg.Path, "error", err)
			} else {
				p.log.Debug("serial: open failed", "path", p.cfg.Path, "error", err, "retry_in", delay)
			}
			st.set(ctx, Offline)
		} else {
			openFailing = false
			drain(txq) // a message queued in a race with the last session's end
			p.online.Store(true)
			st.set(ctx, Online)
			p.log.Info("serial: device online", "path", p.cfg.Path)
			start := time.Now()
			err = p.session(ctx, c, dev, opened, txq, st)
			p.online.Store(false)
			drain(txq)
			if ctx.Err() != nil {
				break
			}
			st.set(ctx, Offline)
			p.log.Warn("serial: device lost; reopening with backoff", "path", p.cfg.Path, "error", err)
			if time.Since(start) > p.cfg.ReconnectMax.Duration {
				delay = p.cfg.ReconnectMin.Duration
			}
		}
		if !sleep(ctx, delay) {
			break
		}
		delay = min(2*delay, p.cfg.ReconnectMax.Duration)
	}
	// Stopping: the device is no longer bridged.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
	defer cancel()
	st.set(sctx, Offline)
	return nil
}

// open opens the device and reports what Path named just before, so a session can tell when
// the path goes away or is re-pointed (a later stat could already see the next device).
func (p *Port) open() (bugst.Port, os.FileInfo, error) {
	p.opens.Add(1)
	fi, _ := os.Stat(p.cfg.Path)
	port, err := p.Open(p.cfg.Path, p.mode)
	return port, fi, err
}

// onTx is the tx subscription handler: it decodes the payload and queues it for the device
// without blocking. While the device is offline tx messages are dropped, not kept for later.
func (p *Port) onTx(m adapters.Message, txq chan<- []byte) {
	if !p.online.Load() {
		p.txDropped.Add(1)
		p.log.Debug("serial: device offline, tx message dropped")
		return
	}
	data, err := decodeTx(p.cfg.Encoding, m.Payload)
	if err == nil && len(data) > p.cfg.MaxFrame {
		err = ErrInvalidPayload
	}
	if err != nil {
		p.txDropped.Add(1)
		p.log.Warn("serial: tx message dropped", "error", err, "bytes", len(m.Payload))
		return
	}
	var term string
	if p.cfg.Framing == FramingLine {
		term = p.cfg.Terminator
	} else if len(data) == 0 {
		return // nothing to write
	}
	// A copy: data may alias m.Payload, which is not ours beyond this call.
	out := make([]byte, 0, len(data)+len(term))
	out = append(append(out, data...), term...)
	select {
	case txq <- out:
	default:
		p.txDropped.Add(1)
		p.log.Warn("serial: tx queue full, message dropped", "queue", cap(txq))
	}
}

// stateTracker publishes the retained state topic when the state changes. A publish that
// fails is retried by flush, which the session calls while the line is quiet, so the retained
// state does not stay wrong for a whole session.
type stateTracker struct {
	p          *Port
	c          adapters.Client
	want, last string // the state, and the one the broker has
}

// set records the state and publishes it if it changed.
func (s *stateTracker) set(ctx context.Context, state string) {
	s.want = state
	s.flush(ctx)
}

// flush publishes the state if the broker does not have it yet.
func (s *stateTracker) flush(ctx context.Context) {
	if s.last == s.want {
		return
	}
	if err := s.c.Publish(ctx, s.p.stateTopic, []byte(s.want), 1, true); err != nil {
		s.p.log.Warn("serial: publish state failed; retrying", "state", s.want, "error", err)
		return
	}
	s.last = s.want
}

// publish publishes an rx frame and logs the first failure of a run of failures.
func (p *Port) publish(ctx context.Context, c adapters.Client, payload []byte) {
	err := c.Publish(ctx, p.rxTopic, payload, p.cfg.QoS, false)
	switch {
	case err == nil:
		p.rxPublished.Add(1)
		if p.pubFailing.CompareAndSwap(true, false) {
			p.log.Info("serial: publishing again")
		}
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
	default:
		if p.pubFailing.CompareAndSwap(false, true) {
			p.log.Warn("serial: publish failed; frames are dropped until it works again", "error", err)
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drain empties the tx queue: messages for a lost device are not sent to the next one.
func drain(txq chan []byte) {
	for {
		select {
		case <-txq:
		default:
			return
		}
	}
}
