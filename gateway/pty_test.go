//go:build linux

package gateway

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal standing in for a serial device: the serial adapter opens the
// slave (/dev/pts/N) as it opens a real port; the test plays the device on the master.
// (The same helper as in adapters/serial's tests.)
type pty struct {
	master *os.File
	slave  string
}

// openPTY allocates a pseudo-terminal, skipping the test where there is none.
func openPTY(t *testing.T) *pty {
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
	p := &pty{master: m, slave: fmt.Sprintf("/dev/pts/%d", n)}
	t.Cleanup(func() { _ = p.master.Close() })
	return p
}

// write plays the device sending s.
func (p *pty) write(t *testing.T, s string) {
	t.Helper()
	_, err := p.master.Write([]byte(s))
	require.NoError(t, err)
}

// read returns the next n bytes written to the device.
func (p *pty) read(t *testing.T, n int) string {
	t.Helper()
	require.NoError(t, p.master.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, n)
	got := 0
	for got < n {
		k, err := p.master.Read(buf[got:])
		require.NoError(t, err, "read from device after %q", buf[:got])
		got += k
	}
	return string(buf)
}
