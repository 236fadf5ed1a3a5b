package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// quietPeriod ends the drain early when nothing has arrived for this long.
const quietPeriod = time.Second

// pubsubRun is the state of one pub/sub scenario run.
type pubsubRun struct {
	cfg  *Config
	eps  []*endpoint
	pubs []*publisher
	subs []*subscriber
	errs errList
}

// plan creates the endpoints of cfg's scenario, not yet connected: n publishers on their
// topics, and subscribers with their filter and the publishers they hear.
func (r *pubsubRun) plan(run string) {
	cfg := r.cfg
	prefix := cfg.TopicPrefix + "/" + run + "/"
	name := func(role string, i int) string { return "b" + run + role + strconv.Itoa(i) }
	addPub := func(ep *endpoint, i int, topic string) { // i == len(r.pubs): pubs[i] is publisher i
		ep.pub = &publisher{idx: i, topic: topic} // a placeholder until connect
		r.pubs = append(r.pubs, ep.pub)
	}
	addSub := func(ep *endpoint, i int, filter string, base, feeds int) {
		ep.sub = newSubscriber(i, nil, filter, base, feeds)
		r.subs = append(r.subs, ep.sub)
	}
	n := cfg.Clients
	switch cfg.Scenario {
	case OneToOne:
		for i := range n {
			topic := prefix + strconv.Itoa(i)
			s := &endpoint{c: &client{name: name("s", i)}}
			addSub(s, i, topic, i, 1)
			p := &endpoint{c: &client{name: name("p", i)}}
			addPub(p, i, topic)
			r.eps = append(r.eps, s, p)
		}
	case FanIn:
		s := &endpoint{c: &client{name: name("s", 0)}}
		addSub(s, 0, prefix+"in", 0, n)
		r.eps = append(r.eps, s)
		for i := range n {
			p := &endpoint{c: &client{name: name("p", i)}}
			addPub(p, i, prefix+"in")
			r.eps = append(r.eps, p)
		}
	case FanOut:
		for i := range n {
			s := &endpoint{c: &client{name: name("s", i)}}
			addSub(s, i, prefix+"out", 0, 1)
			r.eps = append(r.eps, s)
		}
		p := &endpoint{c: &client{name: name("p", 0)}}
		addPub(p, 0, prefix+"out")
		r.eps = append(r.eps, p)
	case Mesh:
		for i := range n {
			e := &endpoint{c: &client{name: name("m", i)}}
			addSub(e, i, prefix+"mesh", 0, n)
			addPub(e, i, prefix+"mesh")
			r.eps = append(r.eps, e)
		}
	}
}

// connect connects every endpoint, subscribers (and mesh nodes) first, each subscription
// acknowledged before any publisher connects.
func (r *pubsubRun) connect(ctx context.Context) error {
	cfg := r.cfg
	setup := func(wantSub bool) error {
		return forEach(ctx, len(r.eps), connectWorkers, func(ctx context.Context, i int) error {
			ep := r.eps[i]
			if (ep.sub != nil) != wantSub {
				return nil
			}
			c, err := dial(ctx, cfg, ep.c.name, readBufferSize)
			if err != nil {
				return err
			}
			ep.c = c
			if ep.sub != nil {
				ep.sub.c = c
				if err := c.subscribe(ctx, ep.sub.filter, cfg.QoS); err != nil {
					c.disconnect()
					ep.c = &client{name: c.name}
					return err
				}
			}
			if p := ep.pub; p != nil {
				ep.pub = newPublisher(p.idx, c, p.topic, cfg)
				r.pubs[p.idx] = ep.pub // distinct elements: no lock needed
			}
			return nil
		})
	}
	if err := setup(true); err != nil {
		return err
	}
	return setup(false)
}

// runPubSub runs a 1to1, fanin, fanout or mesh scenario.
func runPubSub(ctx context.Context, cfg *Config, rep *Report) error {
	r := &pubsubRun{cfg: cfg}
	r.plan(newRunID())
	rep.Publishers, rep.Subscribers, rep.Size, rep.Rate = len(r.pubs), len(r.subs), cfg.Size, cfg.Rate
	var io sync.WaitGroup // readers and writers
	closeAll := func() {
		forEach(context.Background(), len(r.eps), connectWorkers, func(_ context.Context, i int) error {
			if c := r.eps[i].c; c.nc != nil {
				c.disconnect()
			}
			return nil
		})
		io.Wait()
	}
	if err := r.connect(ctx); err != nil {
		closeAll()
		return err
	}
	if cfg.QoS > 0 {
		rep.Inflight = r.pubs[0].window
		for _, p := range r.pubs {
			rep.Inflight = min(rep.Inflight, p.window)
		}
	}
	for _, ep := range r.eps {
		ep.c.start(&io)
		io.Go(func() { r.errs.add(ep.readLoop()) })
	}

	meter, err := startCPU(cfg.PID)
	if err != nil {
		closeAll()
		return err
	}
	t0 := meter.start
	pctx, cancel := context.WithCancel(ctx)
	if cfg.Duration > 0 {
		pctx, cancel = context.WithDeadline(ctx, t0.Add(cfg.Duration))
	}
	defer cancel()
	var pubWG sync.WaitGroup
	for _, p := range r.pubs {
		pubWG.Go(func() { r.errs.add(p.run(pctx, cfg, t0)) })
	}
	stopProgress := r.progress(t0)
	pubWG.Wait()
	cancel()
	if ctx.Err() == nil {
		r.drain(ctx)
	}
	use, err := meter.stop(cfg.PID)
	stopProgress()
	closeAll() // the readers are done: their state may be read
	if err != nil {
		return err
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Messages = r.messages(t0)
	use.fill(rep, cfg.PID, rep.Messages.Delivered)
	rep.Errors = r.errs.report()
	return nil
}

// drain waits, up to cfg.Drain, until every publish was delivered to every subscriber due
// to get it and every window is empty, or nothing moved for quietPeriod.
func (r *pubsubRun) drain(ctx context.Context) {
	var expected int64
	for _, s := range r.subs {
		for k := range s.tracks {
			expected += r.pubs[s.base+k].sent.Load()
		}
	}
	deadline := time.Now().Add(r.cfg.Drain)
	quiet := min(r.cfg.Drain, quietPeriod)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	last, lastMove := int64(-1), time.Now()
	for {
		var got, inflight, acked int64
		for _, s := range r.subs {
			got += s.unique.Load()
		}
		for _, p := range r.pubs {
			inflight += p.inflight.Load()
			acked += p.acked.Load()
		}
		now := time.Now()
		if got >= expected && inflight == 0 {
			return
		}
		if got+acked != last {
			last, lastMove = got+acked, now
		}
		if now.Sub(lastMove) >= quiet || now.After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// messages computes the message report once every goroutine of the run has returned.
func (r *pubsubRun) messages(t0 time.Time) *Messages {
	m := &Messages{}
	end := t0
	for _, p := range r.pubs {
		m.Published += p.sent.Load()
		m.Acked += p.acked.Load()
		m.Rejected += p.rejected
		m.UnexpectedAcks += p.unexpected
		end = later(end, p.finished)
	}
	m.PublishSeconds = end.Sub(t0).Seconds()
	var hist histogram
	last := t0
	var v *Verdict
	if r.cfg.QoS > 0 {
		v = &Verdict{OK: true}
	}
	for _, s := range r.subs {
		sv := SubscriberVerdict{Client: s.c.name, Delivered: s.unique.Load(), Duplicates: s.dups}
		for k := range s.tracks {
			p := r.pubs[s.base+k]
			sent := uint64(p.sent.Load())
			gaps, tail := s.tracks[k].loss(sent)
			sv.Gaps += int64(gaps)
			sv.Tail += int64(tail)
			m.Expected += int64(sent)
			if v != nil {
				sv.Acked += int64(p.ackedSet.n)
				sv.Missing += int64(s.tracks[k].missingFrom(&p.ackedSet))
			}
		}
		m.Delivered += sv.Delivered
		m.Duplicates += s.dups
		m.Foreign += s.foreign
		m.Loss.Gaps += sv.Gaps
		m.Loss.Tail += sv.Tail
		hist.merge(&s.hist)
		if s.last > 0 {
			last = later(last, time.Unix(0, s.last))
		}
		if v != nil {
			v.AckedMissing += sv.Missing
			v.Subscribers = append(v.Subscribers, sv)
		}
	}
	m.Loss.Total = m.Loss.Gaps + m.Loss.Tail
	if v != nil {
		v.OK = v.AckedMissing == 0
		m.Verdict = v
	}
	m.ElapsedSeconds = last.Sub(t0).Seconds()
	if m.PublishSeconds > 0 {
		m.PublishedPerSec = float64(m.Published) / m.PublishSeconds
	}
	if m.ElapsedSeconds > 0 {
		m.DeliveredPerSec = float64(m.Delivered) / m.ElapsedSeconds
	}
	m.Latency = hist.summary()
	return m
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// progress prints a progress line every second until the returned function is called.
func (r *pubsubRun) progress(t0 time.Time) (stop func()) {
	w := r.cfg.Progress
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastPub, lastDel int64
		for {
			select {
			case <-done:
				fmt.Fprintln(w)
				return
			case <-tick.C:
			}
			var pub, del int64
			for _, p := range r.pubs {
				pub += p.sent.Load()
			}
			for _, s := range r.subs {
				del += s.delivered.Load()
			}
			fmt.Fprintf(w, "\r%6.1fs  published %s (%s/s)  delivered %s (%s/s)   ",
				time.Since(t0).Seconds(), count(pub), count(pub-lastPub), count(del), count(del-lastDel))
			lastPub, lastDel = pub, del
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
