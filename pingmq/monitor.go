package pingmq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
)

// Monitor pings its targets every interval and publishes their state. It implements
// adapters.Adapter. Create it with New.
type Monitor struct {
	// Pinger, when set before Run, is used instead of the ICMP pinger Config.Mode selects (no
	// socket probe is made then). Tests and custom probes set it.
	Pinger Pinger

	cfg    Config
	log    *slog.Logger
	groups []*group
	hosts  []*hostState // all hosts, in configuration order

	now   func() time.Time
	probe func(privileged bool) error

	running    atomic.Bool
	pubFailing atomic.Bool
}

var _ adapters.Adapter = (*Monitor)(nil)

// hostState is one host's topics and last state. The state fields are only touched by the
// one goroutine pinging the host at a time; rounds of a group never overlap.
type hostState struct {
	name     string // as configured, or the IP address
	addr     string // pinged: IP address or name
	topic    string // <prefix>/ping/<segment>
	objectID string // Home Assistant id

	state string // "", Online or Offline
	since time.Time
}

func (c Config) newHostState(h host) *hostState {
	seg := topicSegment(h.name)
	return &hostState{
		name:     h.name,
		addr:     h.addr,
		topic:    c.Prefix + "/ping/" + seg,
		objectID: objectID(c.Prefix + "_ping_" + h.name),
	}
}

// New validates cfg, expands its targets and returns a Monitor. logger may be nil (discard).
func New(cfg Config, logger *slog.Logger) (*Monitor, error) {
	groups, err := cfg.plan()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Monitor{
		cfg:    cfg,
		log:    logger,
		groups: groups,
		now:    time.Now,
		probe:  probeICMP,
	}
	for _, g := range groups {
		m.hosts = append(m.hosts, g.hosts...)
	}
	return m, nil
}

// Hosts returns the expanded hosts as they appear in topics, in configuration order.
func (m *Monitor) Hosts() []string {
	out := make([]string, len(m.hosts))
	for i, h := range m.hosts {
		out[i] = h.name
	}
	return out
}

// StateTopic returns the JSON state topic of a host as returned by Hosts.
func (m *Monitor) StateTopic(host string) string {
	return m.cfg.Prefix + "/ping/" + topicSegment(host)
}

// Run pings every group's hosts each interval, at most Config.Concurrency at a time, and
// publishes through c until ctx ends; then it returns nil. Without an injected Pinger it first
// opens a test ICMP socket per Config.Mode; when that fails it logs one line with the fix and
// returns an error wrapping ErrNoICMP.
func (m *Monitor) Run(ctx context.Context, c adapters.Client) error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer m.running.Store(false)

	ping := m.Pinger
	if ping == nil {
		privileged, err := m.selectMode()
		if err != nil {
			return err
		}
		ping = NewICMPPinger(privileged, m.cfg.PingInterval.Duration, m.log)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	// A panic in one of the goroutines below (a custom Pinger, say) ends Run with an error
	// wrapping adapters.ErrPanic instead of the process.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	if m.cfg.HomeAssistant {
		// The token taken below absorbs the retained "online" the subscription may deliver
		// during the first announce, so a start usually announces once.
		announce := make(chan struct{}, 1)
		announce <- struct{}{}
		// Home Assistant publishes "online" here when it (re)starts; re-announce then.
		unsub, err := c.Subscribe(ctx, m.cfg.DiscoveryPrefix+"/status", m.cfg.QoS, func(msg adapters.Message) {
			if string(msg.Payload) == "online" {
				select {
				case announce <- struct{}{}:
				default: // one announce already pending
				}
			}
		})
		if err != nil {
			return fmt.Errorf("pingmq: subscribe %s/status: %w", m.cfg.DiscoveryPrefix, err)
		}
		defer unsub()
		m.announce(ctx, c) // configs before the first state, as Home Assistant recommends
		<-announce
		wg.Go(func() {
			adapters.Guard(cancel, func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-announce:
						m.announce(ctx, c)
					}
				}
			})
		})
	}

	sem := make(chan struct{}, m.cfg.Concurrency)
	for _, g := range m.groups {
		wg.Go(func() { adapters.Guard(cancel, func() { m.loop(ctx, c, ping, sem, g, cancel) }) })
	}
	m.log.Info("pingmq: monitoring", "hosts", len(m.hosts), "groups", len(m.groups))
	<-ctx.Done()
	if err := context.Cause(ctx); errors.Is(err, adapters.ErrPanic) {
		return fmt.Errorf("pingmq: %w", err)
	}
	return nil
}

// selectMode probes the ICMP sockets Config.Mode allows and reports whether to use the raw
// (privileged) one.
func (m *Monitor) selectMode() (privileged bool, err error) {
	var rawErr, dgramErr error
	switch m.cfg.Mode {
	case ModePrivileged:
		if rawErr = m.probe(true); rawErr == nil {
			return true, nil
		}
	case ModeUnprivileged:
		if dgramErr = m.probe(false); dgramErr == nil {
			return false, nil
		}
	default:
		if rawErr = m.probe(true); rawErr == nil {
			return true, nil
		}
		if dgramErr = m.probe(false); dgramErr == nil {
			m.log.Info("pingmq: no raw ICMP socket, using unprivileged ping sockets", "raw_error", rawErr)
			return false, nil
		}
	}
	bin, _ := os.Executable()
	if bin == "" {
		bin = "<binary>"
	}
	setcap := "setcap cap_net_raw+ep " + bin
	const sysctl = "sysctl -w net.ipv4.ping_group_range='0 2147483647' (persist it in /etc/sysctl.d/)"
	const ambient = "AmbientCapabilities=CAP_NET_RAW in the systemd unit"
	var fix string
	switch m.cfg.Mode {
	case ModePrivileged:
		fix = "run as root, or " + setcap + ", or " + ambient + " (or set mode = unprivileged)"
		err = fmt.Errorf("%w: raw icmp socket (mode privileged): %w", ErrNoICMP, rawErr)
	case ModeUnprivileged:
		fix = "allow this process's group: " + sysctl
		err = fmt.Errorf("%w: ping socket (mode unprivileged): %w", ErrNoICMP, dgramErr)
	default:
		fix = "one of: " + setcap + "; or " + ambient + "; or " + sysctl
		err = fmt.Errorf("%w: raw socket: %v; ping socket: %v", ErrNoICMP, rawErr, dgramErr)
	}
	m.log.Error("pingmq: cannot open an ICMP socket, no host is pinged; fix: "+fix, "mode", string(m.cfg.Mode), "error", err)
	return false, err
}

// loop runs g's rounds every g.interval until ctx ends.
func (m *Monitor) loop(ctx context.Context, c adapters.Client, ping Pinger, sem chan struct{}, g *group, fail func(error)) {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	warned := false
	for {
		start := time.Now()
		m.round(ctx, c, ping, sem, g, fail)
		if d := time.Since(start); d > g.interval && !warned && ctx.Err() == nil {
			warned = true
			m.log.Warn("pingmq: a round takes longer than the interval; raise interval or concurrency",
				"group", g.name, "hosts", len(g.hosts), "took", d.Round(time.Millisecond), "interval", g.interval)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round pings every host of g once, at most cap(sem) at a time over all groups, and returns
// when all are done. A check that panics is passed to fail.
func (m *Monitor) round(ctx context.Context, c adapters.Client, ping Pinger, sem chan struct{}, g *group, fail func(error)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, h := range g.hosts {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			adapters.Guard(fail, func() { m.check(ctx, c, ping, g, h) })
		})
	}
}

// check pings h once and publishes the result.
func (m *Monitor) check(ctx context.Context, c adapters.Client, ping Pinger, g *group, h *hostState) {
	st, err := ping(ctx, h.addr, g.count, g.timeout)
	if ctx.Err() != nil {
		return // shutting down: the round was cut short, report nothing
	}
	now := m.now()
	state := Offline
	if err == nil && st.Recv > 0 {
		state = Online
	}
	prev, prevSince := h.state, h.since
	if state != prev {
		h.state, h.since = state, now
	}
	if err != nil {
		m.log.Debug("pingmq: ping failed", "host", h.name, "error", err)
	}

	doc, jerr := json.Marshal(newState(st, err, state, h.since, now))
	if jerr != nil {
		m.log.Error("pingmq: encode state", "host", h.name, "error", jerr)
		return
	}
	m.publish(ctx, c, h.topic, doc, true)
	m.publish(ctx, c, h.topic+"/state", []byte(state), true)
	if prev != "" && prev != state {
		m.log.Info("pingmq: host "+state, "host", h.name, "was", prev)
		ev, _ := json.Marshal(Event{
			Host:          h.name,
			IP:            st.Addr,
			State:         state,
			Previous:      prev,
			PreviousSince: formatTime(prevSince),
			DurationS:     now.Sub(prevSince).Round(time.Millisecond).Seconds(),
			TS:            formatTime(now),
		})
		m.publish(ctx, c, h.topic+"/event", ev, false)
	}
	if m.cfg.LegacyTopics {
		m.publishLegacy(ctx, c, h, st)
	}
}

// publishLegacy publishes one /ping/success/<ip> per reply and one /ping/failure/<ip> per
// request without reply, as the 2014 pingmq did (QoS 0, not retained, leading '/').
func (m *Monitor) publishLegacy(ctx context.Context, c adapters.Client, h *hostState, st Stats) {
	ip := st.Addr
	if ip == "" {
		ip = h.addr
	}
	ip = topicSegment(ip)
	answered := make(map[int]bool, len(st.Replies))
	for _, r := range st.Replies {
		answered[r.Seq] = true
		m.publishQoS(ctx, c, "/ping/success/"+ip, []byte(legacySuccess(ip, r)), 0, false)
	}
	for seq := range st.Sent {
		if !answered[seq] {
			m.publishQoS(ctx, c, "/ping/failure/"+ip, []byte(legacyFailure(ip, seq)), 0, false)
		}
	}
}

// announce publishes the Home Assistant discovery configs of every host (retained).
func (m *Monitor) announce(ctx context.Context, c adapters.Client) {
	for _, h := range m.hosts {
		for _, e := range m.discovery(h) {
			if ctx.Err() != nil {
				return
			}
			m.publish(ctx, c, e.topic, e.payload, true)
		}
	}
}

func (m *Monitor) publish(ctx context.Context, c adapters.Client, topic string, payload []byte, retain bool) {
	m.publishQoS(ctx, c, topic, payload, m.cfg.QoS, retain)
}

// publishQoS publishes and logs the first failure of a run of failures and the recovery, not
// every failed publish.
func (m *Monitor) publishQoS(ctx context.Context, c adapters.Client, topic string, payload []byte, qos byte, retain bool) {
	err := c.Publish(ctx, topic, payload, qos, retain)
	switch {
	case err == nil:
		if m.pubFailing.CompareAndSwap(true, false) {
			m.log.Info("pingmq: publishing again")
		}
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
	default:
		if m.pubFailing.CompareAndSwap(false, true) {
			m.log.Warn("pingmq: publish failed; results are dropped until it works again", "topic", topic, "error", err)
		}
	}
}
