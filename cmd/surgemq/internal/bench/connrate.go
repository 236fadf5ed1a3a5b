package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// closeTimeout bounds waiting for the broker to close a connection after DISCONNECT.
const closeTimeout = 5 * time.Second

// runConn measures the connection rate: cfg.Clients workers each repeat connect, CONNACK,
// DISCONNECT and wait for the broker's close, for cfg.Duration or cfg.Count rounds each.
// Waiting for the broker to close first leaves TIME_WAIT on its side, so the generator does
// not run out of ephemeral ports.
func runConn(ctx context.Context, cfg *Config, rep *Report) error {
	res := &ConnResult{}
	rep.Conn = res
	var errs errList
	meter, err := startCPU(cfg.PID)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	if cfg.Duration > 0 {
		rctx, cancel = context.WithDeadline(ctx, meter.start.Add(cfg.Duration))
	}
	defer cancel()
	run := newRunID()
	hists := make([]histogram, cfg.Clients)
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range cfg.Clients {
		wg.Go(func() {
			h := &hists[w]
			base := "b" + run + "c" + strconv.Itoa(w) + "-"
			for k := 0; cfg.Count == 0 || k < cfg.Count; k++ {
				if rctx.Err() != nil {
					return
				}
				start := time.Now()
				c, err := dial(rctx, cfg, base+strconv.Itoa(k), idleReadBuffer)
				if err != nil {
					if rctx.Err() == nil {
						failed.Add(1)
						errs.add(err)
					}
					continue
				}
				h.record(int64(time.Since(start)))
				c.closeAndWait()
				done.Add(1)
			}
		})
	}
	stop := connProgress(cfg.Progress, meter.start, &done)
	wg.Wait()
	stop()
	use, err := meter.stop(cfg.PID)
	if err != nil {
		return err
	}
	rep.Interrupted = ctx.Err() != nil
	var all histogram
	for i := range hists {
		all.merge(&hists[i])
	}
	res.Connections, res.Failed = done.Load(), failed.Load()
	res.Seconds = use.wall.Seconds()
	if res.Seconds > 0 {
		res.PerSec = float64(res.Connections) / res.Seconds
	}
	res.Latency = all.summary()
	use.fill(rep, cfg.PID, res.Connections)
	rep.Errors = errs.report()
	return nil
}

// closeAndWait sends DISCONNECT and waits for the broker to close the connection
// [MQTT-3.14.4-1] before closing its own end.
func (c *client) closeAndWait() {
	c.closing.Store(true)
	b, _ := (&packet.Disconnect{}).Encode(nil, c.version)
	c.nc.SetDeadline(time.Now().Add(closeTimeout))
	if _, err := c.nc.Write(b); err == nil {
		for {
			if _, err := c.fr.next(); err != nil {
				break
			}
		}
	}
	c.nc.Close()
}

// connProgress prints the connection count every second until stop is called.
func connProgress(w io.Writer, t0 time.Time, done *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-quit:
				fmt.Fprintln(w)
				return
			case <-tick.C:
			}
			n := done.Load()
			fmt.Fprintf(w, "\r%6.1fs  connections %s (%s/s)   ", time.Since(t0).Seconds(), count(n), count(n-last))
			last = n
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}
