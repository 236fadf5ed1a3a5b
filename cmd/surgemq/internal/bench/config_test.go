package bench

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultAddr, c.Addr)
	require.Equal(t, OneToOne, c.Scenario)
	require.Equal(t, packet.V311, c.Version)
	require.Equal(t, DefaultDuration, c.Duration)
	require.Equal(t, DefaultInflight, c.Inflight)

	c, err = Config{Count: 5}.withDefaults()
	require.NoError(t, err)
	require.Zero(t, c.Duration, "a count alone bounds the run")
}

func TestConfigRejectsBadValues(t *testing.T) {
	for name, c := range map[string]Config{
		"scenario":      {Scenario: "star"},
		"clients":       {Clients: -1},
		"qos":           {QoS: 3},
		"version":       {Version: 6},
		"size":          {Size: headerSize - 1},
		"duration":      {Duration: -time.Second},
		"count":         {Count: -1},
		"rate":          {Rate: -1},
		"inflight":      {Inflight: 65536},
		"pid":           {PID: -2},
		"prefix":        {TopicPrefix: "a/#"},
		"idle by count": {Scenario: Idle, Count: 10},
	} {
		_, err := c.withDefaults()
		require.ErrorIs(t, err, ErrConfig, name)
	}
}

func TestParseArgs(t *testing.T) {
	var out bytes.Buffer
	o, err := ParseArgs([]string{"-scenario", "fanout", "-clients", "7", "-qos", "2", "-version", "5",
		"-size", "128", "-count", "9", "-rate", "50", "-inflight", "3", "-pid", "42", "-json", "-selftest"}, &out)
	require.NoError(t, err)
	c := o.Config
	require.Equal(t, FanOut, c.Scenario)
	require.Equal(t, 7, c.Clients)
	require.Equal(t, packet.QoS2, c.QoS)
	require.Equal(t, packet.V5, c.Version)
	require.Equal(t, 128, c.Size)
	require.Equal(t, 9, c.Count)
	require.Equal(t, 50.0, c.Rate)
	require.Equal(t, 3, c.Inflight)
	require.Equal(t, 42, c.PID)
	require.True(t, o.JSON)
	require.True(t, c.Selftest)

	_, err = ParseArgs([]string{"-h"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Contains(t, out.String(), "fanout")

	for _, bad := range [][]string{{"-qos", "3"}, {"-size", "8"}, {"-scenario", "x"}, {"extra"}, {"-version", "300"}} {
		_, err = ParseArgs(bad, &out)
		require.ErrorIs(t, err, ErrConfig, "%v", bad)
	}
	_, err = ParseArgs([]string{"-nope"}, &out)
	require.Error(t, err)
}
