package pingmq

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
	"github.com/lonelyleaf/surgemq/pingmq/pingtest"
)

// icmpMode reports which ICMP socket works here, skipping the test when none does.
func icmpMode(t *testing.T) Mode {
	t.Helper()
	rawErr := probeICMP(true)
	if rawErr == nil {
		return ModePrivileged
	}
	dgramErr := probeICMP(false)
	if dgramErr == nil {
		return ModeUnprivileged
	}
	t.Skipf("no ICMP socket here (raw: %v; ping socket: %v): run as root, or setcap cap_net_raw+ep on the test binary, or sysctl net.ipv4.ping_group_range", rawErr, dgramErr)
	return ""
}

// TestRealPingLoopback runs the real Run path (socket probe, pro-bing) against 127.0.0.1.
func TestRealPingLoopback(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Targets = []string{"127.0.0.1"}
	cfg.Mode = icmpMode(t)
	cfg.Count = 2
	cfg.PingInterval = adapters.D(50 * time.Millisecond)
	cfg.Timeout = adapters.D(2 * time.Second)
	cfg.Interval = adapters.D(time.Hour)
	m, err := New(cfg, nil)
	require.NoError(t, err)
	c := adapterstest.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, c) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	require.True(t, c.Wait(10*time.Second, func() bool { return c.RetainedPayload("surgemq/ping/127.0.0.1/state") != "" }))
	require.Equal(t, "online", c.RetainedPayload("surgemq/ping/127.0.0.1/state"))
	var st State
	require.NoError(t, json.Unmarshal([]byte(c.RetainedPayload("surgemq/ping/127.0.0.1")), &st))
	require.Equal(t, "online", st.State)
	require.Equal(t, 2, st.Sent)
	require.Equal(t, 2, st.Recv)
	require.Zero(t, st.LossPct)
	require.NotNil(t, st.RTTms)
	require.Greater(t, *st.RTTms, 0.0)
	require.LessOrEqual(t, *st.RTTMinMs, *st.RTTms)
	require.LessOrEqual(t, *st.RTTms, *st.RTTMaxMs)
	require.NotNil(t, st.TTL)
	require.Positive(t, *st.TTL)
	require.Equal(t, "127.0.0.1", st.IP)
}

// TestRealPingerReplies checks the real Pinger's per-reply data, used by the legacy topics.
func TestRealPingerReplies(t *testing.T) {
	mode := icmpMode(t)
	p := NewICMPPinger(mode == ModePrivileged, 20*time.Millisecond, nil)
	// "localhost" comes from /etc/hosts: the name path without a DNS query.
	st, err := p(t.Context(), "localhost", 3, 2*time.Second)
	require.NoError(t, err)
	require.Contains(t, []string{"127.0.0.1", "::1"}, st.Addr)
	require.Equal(t, 3, st.Sent)
	require.Equal(t, 3, st.Recv)
	require.Len(t, st.Replies, 3)
	seqs := map[int]bool{}
	for _, r := range st.Replies {
		seqs[r.Seq] = true
		require.Positive(t, r.Bytes)
		require.Positive(t, r.RTT)
	}
	require.Equal(t, map[int]bool{0: true, 1: true, 2: true}, seqs)
}

// TestRealPingOfflineInNetns pings 127.0.0.1 inside a network namespace this test creates,
// then makes that namespace ignore echo requests: the real pinger must report the host offline
// with an event. No packet leaves the namespace.
func TestRealPingOfflineInNetns(t *testing.T) {
	ns := pingtest.NewNetns(t)
	inner := NewICMPPinger(true, 20*time.Millisecond, nil)
	// Each call runs on its own goroutine (the Monitor's worker), which Enter moves into the
	// namespace before pro-bing opens its socket.
	inNS := func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		if err := ns.Enter(); err != nil {
			return Stats{}, err
		}
		return inner(ctx, host, count, timeout)
	}

	cfg := DefaultConfig()
	cfg.Targets = []string{"127.0.0.1"}
	cfg.Count = 1
	cfg.Timeout = adapters.D(300 * time.Millisecond)
	cfg.Interval = adapters.D(50 * time.Millisecond)
	_, c := start(t, cfg, inNS)
	const topic = "surgemq/ping/127.0.0.1"
	require.True(t, c.Wait(10*time.Second, func() bool { return c.RetainedPayload(topic+"/state") == "online" }))

	ns.Run(t, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
	require.True(t, c.Wait(10*time.Second, func() bool { return len(c.Topic(topic+"/event")) > 0 }))
	require.Equal(t, "offline", c.RetainedPayload(topic+"/state"))
	var ev Event
	require.NoError(t, json.Unmarshal(c.Topic(topic + "/event")[0].Payload, &ev))
	require.Equal(t, "offline", ev.State)
	require.Equal(t, "online", ev.Previous)
	var st State
	require.NoError(t, json.Unmarshal([]byte(c.RetainedPayload(topic)), &st))
	require.Equal(t, 1, st.Sent)
	require.Zero(t, st.Recv)
	require.Equal(t, 100.0, st.LossPct)
	require.Nil(t, st.RTTms)
}
