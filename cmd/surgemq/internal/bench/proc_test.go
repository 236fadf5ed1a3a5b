package bench

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses; utime 250 + stime 50 ticks = 3 s.
	line := "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 1000 10\n"
	d, err := parseStatCPU([]byte(line))
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, d)

	for _, bad := range []string{"", "1234 no parens", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 ab 5 0 0"} {
		_, err := parseStatCPU([]byte(bad))
		require.ErrorIs(t, err, ErrNoProc, "%q", bad)
	}
}

func TestParseStatusMem(t *testing.T) {
	status := "Name:\tmosquitto\nVmPeak:\t  20000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    8192 kB\nThreads:\t1\n"
	rss, peak, err := parseStatusMem([]byte(status))
	require.NoError(t, err)
	require.Equal(t, int64(8192), rss)
	require.Equal(t, int64(9000), peak)

	_, _, err = parseStatusMem([]byte("Name:\tkthreadd\nThreads:\t1\n"))
	require.ErrorIs(t, err, ErrNoProc)
	_, _, err = parseStatusMem([]byte("VmHWM:\t1 kB\nVmRSS:\tlots kB\n"))
	require.ErrorIs(t, err, ErrNoProc)
}

func TestOwnProcessStats(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux only")
	}
	rss, peak, err := procMem(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, rss)
	require.GreaterOrEqual(t, peak, rss)

	before, err := procCPU(os.Getpid())
	require.NoError(t, err)
	self0, ok := selfCPU()
	require.True(t, ok)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if d, _ := procCPU(os.Getpid()); d > before { // burn CPU until /proc's 10 ms tick moves
			break
		}
	}
	after, err := procCPU(os.Getpid())
	require.NoError(t, err)
	require.Greater(t, after, before)
	self1, _ := selfCPU()
	require.Greater(t, self1, self0)

	_, err = procCPU(-1)
	require.ErrorIs(t, err, ErrNoProc)
}
