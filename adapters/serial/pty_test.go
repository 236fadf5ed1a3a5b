package serial

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal standing in for a serial device: the adapter opens the slave
// (/dev/pts/N) with go.bug.st/serial exactly as it opens a real port; the test plays the
// device on the master.
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

// write plays the device sending b.
func (p *pty) write(t *testing.T, b string) {
	t.Helper()
	_, err := p.master.Write([]byte(b))
	require.NoError(t, err)
}

// read returns the next n bytes the adapter wrote to the device.
func (p *pty) read(t *testing.T, n int) string {
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

// quiet checks that the adapter writes nothing to the device for d.
func (p *pty) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	require.NoError(t, p.master.SetReadDeadline(time.Now().Add(d)))
	buf := make([]byte, 64)
	k, err := p.master.Read(buf)
	require.Error(t, err, "unexpected write %q", buf[:k])
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

// unplug closes the master: the slave's reads fail as when a USB adapter is pulled.
func (p *pty) unplug() { _ = p.master.Close() }

// link points the symlink at path to target atomically (like udev's /dev/serial/by-id links).
func link(t *testing.T, path, target string) {
	t.Helper()
	tmp := path + ".new"
	_ = os.Remove(tmp)
	require.NoError(t, os.Symlink(target, tmp))
	require.NoError(t, os.Rename(tmp, path))
}

// devLink returns a symlink path in a fresh temporary directory pointing at target.
func devLink(t *testing.T, target string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usb-test-if00")
	link(t, path, target)
	return path
}
