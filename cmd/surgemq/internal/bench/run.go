package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connectWorkers bounds how many connections are being set up at once.
const connectWorkers = 64

// maxErrors is how many mid-run connection errors a Report lists; the rest are counted.
const maxErrors = 20

// Run runs the benchmark cfg describes and returns its report. It returns an error when the
// configuration is invalid or the clients cannot be set up (connect, subscribe); failures of
// single connections once the load runs are listed in Report.Errors instead. Cancelling ctx
// stops the run early: the report of what happened so far comes back with Interrupted set.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if c.Selftest {
		stop, err := startSelftest(&c)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	rep := &Report{
		Scenario: c.Scenario,
		Addr:     c.Addr,
		Selftest: c.Selftest,
		Version:  int(c.Version),
		QoS:      int(c.QoS),
		Clients:  c.Clients,
		CPU:      CPU{Cores: runtime.NumCPU()},
	}
	switch {
	case c.Scenario.isPubSub():
		err = runPubSub(ctx, &c, rep)
	case c.Scenario == Idle:
		err = runIdle(ctx, &c, rep)
	default:
		err = runConn(ctx, &c, rep)
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// startSelftest serves a Forwarder on a loopback port and points cfg at it.
func startSelftest(cfg *Config) (stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("selftest: %w", err)
	}
	f := NewForwarder()
	done := make(chan struct{})
	go func() {
		f.Serve(l) // returns ErrClosed after Close
		close(done)
	}()
	cfg.Addr = l.Addr().String()
	cfg.PID = 0 // the forwarder is this process: its CPU is in Report.CPU
	return func() {
		f.Close()
		<-done
	}, nil
}

// forEach calls fn(ctx, i) for every i in [0, n) on at most workers goroutines and returns
// the first error, after which the remaining calls are skipped and ctx is cancelled.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// errList collects mid-run errors from many goroutines.
type errList struct {
	mu    sync.Mutex
	list  []string
	extra int
}

func (e *errList) add(err error) {
	if err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.list) < maxErrors {
		e.list = append(e.list, err.Error())
	} else {
		e.extra++
	}
}

// report returns the collected errors for Report.Errors.
func (e *errList) report() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]string(nil), e.list...)
	if e.extra > 0 {
		out = append(out, strconv.Itoa(e.extra)+" more errors")
	}
	return out
}

// newRunID returns a short random id that keeps the topics and client ids of concurrent runs
// apart (client ids stay within MQTT 3.1's 23 characters).
func newRunID() string {
	return strconv.FormatUint(rand.Uint64()&0xffffff|0x1000000, 16)[1:]
}

// cpuMeter measures the generator's and the broker's CPU time over the measured phase.
type cpuMeter struct {
	start  time.Time
	self   time.Duration
	selfOK bool
	broker brokerSample
}

func startCPU(pid int) (cpuMeter, error) {
	m := cpuMeter{start: time.Now()}
	m.self, m.selfOK = selfCPU()
	var err error
	m.broker, err = sampleBroker(pid)
	return m, err
}

// cpuUse is what a cpuMeter measured.
type cpuUse struct {
	wall      time.Duration
	self      time.Duration
	selfOK    bool
	broker    time.Duration
	brokerOK  bool
	rss, peak int64 // broker KiB
}

// stop ends the measurement.
func (m cpuMeter) stop(pid int) (cpuUse, error) {
	u := cpuUse{wall: time.Since(m.start)}
	if self, ok := selfCPU(); ok && m.selfOK {
		u.self, u.selfOK = self-m.self, true
	}
	if !m.broker.ok {
		return u, nil
	}
	end, err := sampleBroker(pid)
	if err != nil {
		return u, err
	}
	u.broker, u.brokerOK = end.cpu-m.broker.cpu, true
	u.rss, u.peak, err = procMem(pid)
	return u, err
}

// fill sets rep.CPU and rep.Broker for work units done (messages or connections).
func (u cpuUse) fill(rep *Report, pid int, work int64) {
	wall := u.wall.Seconds()
	per := func(d time.Duration) float64 {
		if work <= 0 {
			return 0
		}
		return float64(d.Microseconds()) / float64(work)
	}
	if u.selfOK && wall > 0 {
		rep.CPU.Seconds = u.self.Seconds()
		rep.CPU.Percent = 100 * u.self.Seconds() / wall
		rep.CPU.MicrosPerMessage = per(u.self)
	}
	if u.brokerOK && wall > 0 {
		rep.Broker = &BrokerProc{
			PID:              pid,
			CPUSeconds:       u.broker.Seconds(),
			CPUPercent:       100 * u.broker.Seconds() / wall,
			MicrosPerMessage: per(u.broker),
			RSSKB:            u.rss,
			PeakRSSKB:        u.peak,
		}
	}
}
