package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// idleReadBuffer is an idle connection's read buffer: it only ever reads CONNACK, SUBACK
// and PINGRESP, so the generator holds 10,000 connections in a few MB.
const idleReadBuffer = 64

// pingTimeout bounds the PINGREQ/PINGRESP liveness check at the end of the hold.
const pingTimeout = 5 * time.Second

// runIdle opens cfg.Clients connections, holds them for cfg.Duration, and reports the
// broker's RSS growth per connection (with cfg.PID).
func runIdle(ctx context.Context, cfg *Config, rep *Report) error {
	res := &IdleResult{Connections: cfg.Clients, Subscribed: cfg.Subscribe}
	rep.Idle = res
	var errs errList
	if cfg.PID != 0 {
		rss, _, err := procMem(cfg.PID)
		if err != nil {
			return err
		}
		res.RSSBeforeKB = rss
	}
	meter, err := startCPU(cfg.PID)
	if err != nil {
		return err
	}
	run := newRunID()
	prefix := cfg.TopicPrefix + "/" + run + "/idle/"
	clients := make([]*client, cfg.Clients)
	defer forEach(context.WithoutCancel(ctx), len(clients), connectWorkers, func(_ context.Context, i int) error {
		if c := clients[i]; c != nil {
			// Let the broker close first: TIME_WAIT then lands on its side, and repeated
			// 10,000-connection runs do not exhaust the generator's ephemeral ports.
			c.closeAndWait()
		}
		return nil
	})
	var established atomic.Int64
	forEach(ctx, cfg.Clients, connectWorkers, func(ctx context.Context, i int) error {
		c, err := dial(ctx, cfg, "b"+run+"i"+strconv.Itoa(i), idleReadBuffer)
		if err != nil {
			errs.add(err)
			return nil // count it, keep going: how many the broker takes is a result too
		}
		if cfg.Subscribe {
			if err := c.subscribe(ctx, prefix+strconv.Itoa(i), cfg.QoS); err != nil {
				errs.add(err)
				c.disconnect()
				return nil
			}
		}
		clients[i] = c
		established.Add(1)
		return nil
	})
	res.Established = int(established.Load())
	res.SetupSeconds = time.Since(meter.start).Seconds()
	if res.Established == 0 {
		return fmt.Errorf("idle: %w: no connection established: %v", ErrConnect, errs.report())
	}
	hold := time.Now()
	if ctx.Err() == nil {
		t := time.NewTimer(cfg.Duration)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	res.HoldSeconds = time.Since(hold).Seconds()
	rep.Interrupted = ctx.Err() != nil
	use, err := meter.stop(cfg.PID)
	if err != nil {
		return err
	}
	if cfg.PID != 0 {
		res.RSSAfterKB = use.rss
		res.PerConnectionKB = float64(res.RSSAfterKB-res.RSSBeforeKB) / float64(res.Established)
	}
	var alive atomic.Int64
	forEach(context.WithoutCancel(ctx), len(clients), connectWorkers, func(_ context.Context, i int) error {
		if c := clients[i]; c != nil {
			if err := c.ping(); err != nil {
				errs.add(err)
			} else {
				alive.Add(1)
			}
		}
		return nil
	})
	res.Alive = int(alive.Load())
	use.fill(rep, cfg.PID, 0)
	rep.Errors = errs.report()
	return nil
}

// ping sends PINGREQ and waits for PINGRESP [MQTT-3.12.4-1], proving the broker still
// serves the connection.
func (c *client) ping() error {
	c.nc.SetDeadline(time.Now().Add(pingTimeout))
	defer c.nc.SetDeadline(time.Time{})
	b, _ := (&packet.Pingreq{}).Encode(nil, c.version)
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("ping %s: %w", c.name, err)
	}
	for {
		p, err := c.fr.next()
		if err != nil {
			return fmt.Errorf("ping %s: no PINGRESP: %w", c.name, err)
		}
		if _, ok := p.(*packet.Pingresp); ok {
			return nil
		}
	}
}
