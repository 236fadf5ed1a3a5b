package mqtt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExponentialBackoff checks the bounds of every attempt, including attempts whose shift
// would overflow.
func TestExponentialBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 30*time.Second
	b := ExponentialBackoff(min, max)
	for attempt := range 200 {
		want := max
		if attempt < 30 && min<<attempt < max {
			want = min << attempt
		}
		seen := map[time.Duration]bool{}
		for range 20 {
			d := b(attempt)
			require.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
			require.LessOrEqual(t, d, want, "attempt %d", attempt)
			seen[d] = true
		}
		// Jitter: clients of a restarted server do not come back in step. (20 draws from at
		// least 50 ms of nanoseconds all equal: practically impossible unless there is none.)
		require.Greater(t, len(seen), 1, "attempt %d: no jitter", attempt)
	}
	require.Equal(t, time.Duration(0), ExponentialBackoff(0, 0)(3))
}

// TestParseServer checks schemes, default ports and rejects.
func TestParseServer(t *testing.T) {
	for raw, want := range map[string]struct {
		tr   transport
		addr string
	}{
		"mqtt://h":           {transportTCP, "h:1883"},
		"tcp://h:1":          {transportTCP, "h:1"},
		"h:2":                {transportTCP, "h:2"},
		"mqtts://h":          {transportTLS, "h:8883"},
		"ssl://h":            {transportTLS, "h:8883"},
		"tls://[::1]:9":      {transportTLS, "[::1]:9"},
		"ws://h/mqtt":        {transportWS, "h:80"},
		"wss://u:p@h:8443/x": {transportWSS, "h:8443"},
	} {
		s, err := parseServer(raw)
		require.NoError(t, err, raw)
		require.Equal(t, want.tr, s.transport, raw)
		require.Equal(t, want.addr, s.addr, raw)
	}
	for _, raw := range []string{"http://h", "mqtt://", "mqtt://%zz", "unix:///tmp/x"} {
		_, err := parseServer(raw)
		require.ErrorIs(t, err, ErrBadURL, raw)
	}
}

// TestNormalize checks defaults and conversions of Options.
func TestNormalize(t *testing.T) {
	o, err := normalize(Options{})
	require.NoError(t, err)
	require.Equal(t, V311, o.Version)
	require.Equal(t, uint16(60), o.keepAlive)
	require.Equal(t, DefaultPingTimeout, o.PingTimeout)
	require.Equal(t, DefaultQueueSize, o.QueueSize)

	o, err = normalize(Options{KeepAlive: 1500 * time.Millisecond, QueueSize: -1})
	require.NoError(t, err)
	require.Equal(t, uint16(2), o.keepAlive, "rounded up to whole seconds")
	require.Equal(t, 2*time.Second, o.PingTimeout, "capped at the keepalive")
	require.Zero(t, o.QueueSize)

	o, err = normalize(Options{KeepAlive: -1})
	require.NoError(t, err)
	require.Zero(t, o.keepAlive)

	c := o.connectPacket("id")
	require.True(t, c.CleanStart)
	require.Nil(t, c.Properties)

	o, err = normalize(Options{ClientID: "id", Version: V5, KeepSession: true, MaxPacketSize: 1 << 20})
	require.NoError(t, err)
	c = o.connectPacket("id")
	require.False(t, c.CleanStart)
	require.Equal(t, uint32(0xFFFFFFFF), *c.Properties.SessionExpiry)
	require.Equal(t, uint32(1<<20), *c.Properties.MaximumPacketSize)

	for _, bad := range []Options{
		{Version: 2},
		{KeepSession: true},
		{Version: V31},
		{Version: V31, ClientID: "this-client-id-is-longer-than-23"},
		{Password: []byte("x")},
		{KeepAlive: 70000 * time.Second},
		{Will: &Message{Topic: "x", QoS: 3}},
	} {
		_, err := normalize(bad)
		require.Error(t, err, "%+v", bad)
	}
}
