//go:build linux

// Package serialtest provides a pseudo-terminal that stands in for a serial device in tests:
// the code under test opens the slave (/dev/pts/N) exactly as it opens a real port, and the
// test plays the device on the master. It is for tests only.
package serialtest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair.
type PTY struct {
	// Path is the slave device, /dev/pts/N: what the serial adapter opens.
	Path   string
	master *os.File
}

// OpenPTY allocates a pseudo-terminal, skipping the test where there is none. The master is
// closed when the test ends.
func OpenPTY(t testing.TB) *PTY {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var n int
	var ioErr error
	// Control, not Fd: Fd would switch the file to blocking mode and lose read deadlines.
	rc, err := m.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil { // unlockpt
			return
		}
		n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN) // ptsname
	}))
	require.NoError(t, ioErr)
	p := &PTY{master: m, Path: fmt.Sprintf("/dev/pts/%d", n)}
	t.Cleanup(func() { _ = p.master.Close() })
	return p
}

// Write plays the device sending s.
func (p *PTY) Write(t testing.TB, s string) {
	t.Helper()
	_, err := p.master.Write([]byte(s))
	require.NoError(t, err)
}

// Read returns the next n bytes written to the device, failing the test after 5 s.
func (p *PTY) Read(t testing.TB, n int) string {
	t.Helper()
	require.NoError(t, p.master.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, n)
	got := 0
	for got < n {
		k, err := p.master.Read(buf[got:])
		require.NoError(t, err, "read from device after %q", buf[:got])
		got += k
	}
	return string(buf)
}

// Quiet checks that nothing is written to the device for d.
func (p *PTY) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	require.NoError(t, p.master.SetReadDeadline(time.Now().Add(d)))
	buf := make([]byte, 64)
	k, err := p.master.Read(buf)
	require.Error(t, err, "unexpected write %q", buf[:k])
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

// Unplug closes the master: the slave's reads fail as when a USB adapter is pulled.
func (p *PTY) Unplug() { _ = p.master.Close() }
