package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStampRoundTrip(t *testing.T) {
	b := newPayload(64)
	want := stamp{pub: 7, seq: 1 << 40, sent: 1_700_000_000_123_456_789}
	putStamp(b, want)
	got, ok := readStamp(b)
	require.True(t, ok)
	require.Equal(t, want, got)
	require.Equal(t, byte('a'+24%26), b[24], "filler after the header is text")

	_, ok = readStamp(b[:headerSize-1])
	require.False(t, ok)
}
