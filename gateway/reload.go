package gateway

import (
	"context"
	"reflect"
)

// Reload applies cfg to the running gateway without dropping a client connection: adapters
// whose table is new are started, adapters whose table is gone are stopped, and an adapter
// whose table changed (any value, including an inherited prefix) is restarted with the new
// one; unchanged adapters keep running, except one that gave up after a permanent failure,
// which is tried again. Changes to [broker], [persistence] or [log] need a restart and are
// only logged. Around the change systemd is told RELOADING=1, then READY=1.
//
// An invalid cfg, or an adapter that cannot be built from it, returns an error and changes
// nothing. Reload fails with ErrNotRunning outside Run.
func (g *Gateway) Reload(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	next := cfg.resolved()

	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.running {
		return ErrNotRunning
	}
	g.sdNotify(reloading())
	defer g.sdNotify("READY=1")

	prev := g.cfg
	for _, s := range []struct {
		table     string
		old, next any
	}{
		{"broker", prev.Broker, next.Broker},
		{"persistence", prev.Persistence, next.Persistence},
		{"log", prev.Log, next.Log},
	} {
		if !reflect.DeepEqual(s.old, s.next) {
			g.log.Warn("reload: ["+s.table+"] changed; restart surgemq to apply it", "table", s.table)
		}
	}

	// Match running adapters to the new tables by value; build the new ones before
	// touching anything, so a failure leaves the gateway as it was.
	want := specs(next)
	taken := make([]*instance, len(want))
	var drop []*instance
	for _, in := range g.instances {
		j := -1
		if !in.gaveUp.Load() {
			for k, s := range want {
				if taken[k] == nil && s.kind == in.kind && reflect.DeepEqual(s.cfg, in.cfg) {
					j = k
					break
				}
			}
		}
		if j < 0 {
			drop = append(drop, in)
			continue
		}
		taken[j] = in
	}
	var fresh []*instance
	for k, s := range want {
		if taken[k] != nil {
			continue
		}
		in, err := g.build(s)
		if err != nil {
			return err
		}
		taken[k] = in
		fresh = append(fresh, in)
	}

	for _, in := range drop {
		g.stop(in)
		in.log.Info("reload: adapter stopped")
	}
	if next.Prefix != prev.Prefix {
		g.publishStatus(prev, StatusOffline)
		g.publishStatus(next, StatusOnline)
	}
	for _, in := range fresh {
		g.start(in)
		in.log.Info("reload: adapter started")
	}
	g.instances = taken
	g.cfg = next
	g.log.Info("reloaded", "adapters", len(taken), "started", len(fresh), "stopped", len(drop))
	return nil
}

// publishStatus publishes the retained <prefix>/status of c.
func (g *Gateway) publishStatus(c Config, status string) {
	if err := g.client.Publish(context.Background(), c.statusTopic(), []byte(status), 1, true); err != nil {
		g.log.Error("publish status", "topic", c.statusTopic(), "error", err)
	}
}
