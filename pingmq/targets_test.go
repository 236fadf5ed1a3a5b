package pingmq

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExpandTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"10.0.0.1", []string{"10.0.0.1"}},
		{" 10.0.0.1 ", []string{"10.0.0.1"}},
		{"::1", []string{"::1"}},
		{"router.lan", []string{"router.lan"}},
		{"my-host_1", []string{"my-host_1"}},
		{"10.0.0.0/30", []string{"10.0.0.1", "10.0.0.2"}},
		{"10.0.0.3/30", []string{"10.0.0.1", "10.0.0.2"}}, // host bits masked
		{"10.0.0.0/31", []string{"10.0.0.0", "10.0.0.1"}}, // RFC 3021: both usable
		{"10.0.0.7/32", []string{"10.0.0.7"}},
		{"fd00::/126", []string{"fd00::1", "fd00::2", "fd00::3"}},
		{"10.1.1.1-3", []string{"10.1.1.1", "10.1.1.2", "10.1.1.3"}},
		{"10.1.1-2.1", []string{"10.1.1.1", "10.1.2.1"}},
		{"10.1-2.1.1-2", []string{"10.1.1.1", "10.1.1.2", "10.2.1.1", "10.2.1.2"}},
		{"10.0.0.254-10.0.1.1", []string{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"}},
		{"10.0.0.5-10.0.0.5", []string{"10.0.0.5"}},
	} {
		got, err := ExpandTarget(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}

	got, err := ExpandTarget("10.0.0.0/28")
	require.NoError(t, err)
	require.Len(t, got, 14)
	require.Equal(t, "10.0.0.1", got[0])
	require.Equal(t, "10.0.0.14", got[13])

	got, err = ExpandTarget("10.0.0.0/16")
	require.NoError(t, err)
	require.Len(t, got, 65534)
}

func TestExpandTargetErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"", ErrInvalidTarget},
		{"10.1.1.1-", ErrInvalidTarget},
		{"10.1.1.10-1", ErrInvalidTarget},  // reversed
		{"10.1.1.1-256", ErrInvalidTarget}, // octet out of range
		{"10.1.1-.1", ErrInvalidTarget},
		{"10.1.1.1-2-3", ErrInvalidTarget},
		{"10.1.1-1", ErrInvalidTarget}, // 3 octets
		{"10.1.1.1.1-2", ErrInvalidTarget},
		{"10.0.0.9-10.0.0.1", ErrInvalidTarget},
		{"10.0.0.1-::1", ErrInvalidTarget},
		{"10.0.0.0/33", ErrInvalidTarget},
		{"10.0.0.0/x", ErrInvalidTarget},
		{"10.0.0.300", ErrInvalidTarget}, // all-numeric: not a host name
		{"host name", ErrInvalidTarget},
		{"a/b", ErrInvalidTarget},
		{"bad+host", ErrInvalidTarget},
		{"bad#host", ErrInvalidTarget},
		{"-leading.dash", ErrInvalidTarget},
		{strings.Repeat("a", 64) + ".lan", ErrInvalidTarget},
		{"10.0.0.0/8", ErrTooManyHosts},
		{"fd00::/64", ErrTooManyHosts},
		{"10.0-255.0-255.0-1", ErrTooManyHosts},
		{"0.0.0.0-255.255.255.255", ErrTooManyHosts},
	} {
		_, err := ExpandTarget(tc.in)
		require.ErrorIs(t, err, tc.want, "%q: %v", tc.in, err)
		if tc.in != "" {
			require.Contains(t, err.Error(), fmt.Sprintf("%q", strings.TrimSpace(tc.in)), "error names the target")
		}
	}
}

func TestTopicSegmentAndObjectID(t *testing.T) {
	require.Equal(t, "a_b_c_d", topicSegment("a+b#c/d"))
	require.Equal(t, "x_y", topicSegment("x\x00y"))
	require.Equal(t, "fe80::1%eth0", topicSegment("fe80::1%eth0"))
	require.Equal(t, "surgemq_ping_10_0_0_1", objectID("surgemq_ping_10.0.0.1"))
	require.Equal(t, "site_a_ping_fe80__1", objectID("site/a_ping_fe80::1"))
}
