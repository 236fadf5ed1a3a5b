package topic

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// matchTests drives both Match and Tree.Match.
var matchTests = []struct {
	filter, name string
	want         bool
}{
	// Examples of MQTT 3.1.1 / 5.0 section 4.7.1.
	{"sport/tennis/player1/#", "sport/tennis/player1", true},
	{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
	{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
	{"sport/#", "sport", true},
	{"sport/tennis/+", "sport/tennis/player1", true},
	{"sport/tennis/+", "sport/tennis/player2", true},
	{"sport/tennis/+", "sport/tennis/player1/ranking", false},
	{"sport/+", "sport", false},
	{"sport/+", "sport/", true},
	{"+/+", "/finance", true},
	{"/+", "/finance", true},
	{"+", "/finance", false},
	{"+/tennis/#", "sport/tennis/player1", true},
	{"sport/+/player1", "sport/tennis/player1", true},
	// Section 4.7.2: '$' topics and wildcards [MQTT-4.7.2-1].
	{"#", "$SYS/x", false},
	{"#", "$SYS", false},
	{"+", "$SYS", false},
	{"+/#", "$SYS/x", false},
	{"$SYS/#", "$SYS/x", true},
	{"$SYS/#", "$SYS", true},
	{"$SYS/+", "$SYS/x", true},
	{"+/monitor/Clients", "$SYS/monitor/Clients", false},
	{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
	{"#", "a/$SYS", true},
	{"a/+", "a/$x", true},
	{"+/x", "b$/x", true},
	// Exact matching is byte for byte [MQTT-4.7.3-4].
	{"a/b/c", "a/b/c", true},
	{"a/b/c", "a/b", false},
	{"a/b", "a/b/c", false},
	{"ACCOUNTS", "Accounts", false},
	{"a/b", "a/bc", false},
	{"a/bc", "a/b", false},
	{"a", "a/", false},
	{"a/", "a", false},
	{"a/", "a/", true},
	{"/", "/", true},
	{"a//b", "a//b", true},
	{"a/+/b", "a//b", true},
	{"küche/+", "küche/licht", true},
	// Multi-level wildcard details.
	{"#", "a", true},
	{"#", "/", true},
	{"#", "a/b/c", true},
	{"/#", "/", true},
	{"/#", "a", false},
	{"a/#", "a/", true},
	{"a/#", "ab", false},
	{"a/#", "b/a", false},
	{"a/+/#", "a/b", true},
	{"a/+/#", "a", false},
	{"+/#", "a", true},
	{"+/+/#", "a", false},
	{"a/b/#", "a", false},
	// Levels that are not wildcards by position are compared as text.
	{"a/#/b", "a/#/b", true},
	{"a/#/b", "a/x/b", false},
	{"a#", "a#", true},
	{"$share/g/a", "a", false},
	{"$share/g/a", "$share/g/a", true},
}

func TestMatch(t *testing.T) {
	for _, tt := range matchTests {
		t.Run(fmt.Sprintf("%s~%s", tt.filter, tt.name), func(t *testing.T) {
			require.Equal(t, tt.want, Match(tt.filter, tt.name))
		})
	}
}

func TestMatchAllocs(t *testing.T) {
	var ok bool
	allocs := testing.AllocsPerRun(100, func() {
		ok = Match("site/+/device/#", "site/3/device/417/temp")
	})
	require.True(t, ok)
	require.Zero(t, allocs)
}
