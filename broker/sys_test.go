package broker

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// $SYS topics are published, retained, under the names Mosquitto's monitoring users read.
func TestSys(t *testing.T) {
	b := startBroker(t, Options{SysInterval: 20 * time.Millisecond, Version: "surgemq test"})
	in := newInbox()
	c := b.connect(t, b.pahoOpts("sys"))
	subscribe(t, c, "$SYS/#", 0, in)
	want := map[string]bool{
		"$SYS/broker/version": true, "$SYS/broker/uptime": true, "$SYS/broker/clients/connected": true,
		"$SYS/broker/clients/disconnected": true, "$SYS/broker/clients/total": true,
		"$SYS/broker/clients/maximum": true, "$SYS/broker/messages/received": true,
		"$SYS/broker/messages/sent": true, "$SYS/broker/messages/stored": true,
		"$SYS/broker/publish/messages/dropped": true, "$SYS/broker/bytes/received": true,
		"$SYS/broker/bytes/sent": true, "$SYS/broker/subscriptions/count": true,
		"$SYS/broker/retained messages/count": true, "$SYS/broker/load/messages/received/1min": true,
		"$SYS/broker/load/bytes/sent/15min": true,
	}
	// The first values may predate this client; wait for a round that counts it.
	got := map[string]string{}
	for len(got) < len(want) || got["$SYS/broker/clients/connected"] == "0" {
		m := in.next(t)
		if want[m.Topic()] {
			got[m.Topic()] = string(m.Payload())
		}
	}
	require.Equal(t, "surgemq test", got["$SYS/broker/version"])
	require.True(t, strings.HasSuffix(got["$SYS/broker/uptime"], " seconds"))
	n, err := strconv.Atoi(got["$SYS/broker/clients/connected"])
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 1)

	// Retained: a late subscriber gets the version at once.
	late := newInbox()
	c2 := b.connect(t, b.pahoOpts("late"))
	subscribe(t, c2, "$SYS/broker/version", 0, late)
	m := late.next(t)
	require.True(t, m.Retained())
}
