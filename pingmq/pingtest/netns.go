//go:build linux

package pingtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// Netns is a network namespace made for one test, with its loopback interface up.
type Netns struct {
	name string
	f    *os.File
}

// NewNetns creates a network namespace and deletes it when the test ends. It skips the test
// where namespaces cannot be made (not root, no iproute2, a container that forbids it).
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	n, err := OpenNetns(t)
	if err != nil {
		t.Skip(err)
	}
	return n
}

// OpenNetns is NewNetns for a test that has another way to go: it returns why no namespace
// could be made instead of skipping.
func OpenNetns(t testing.TB) (*Netns, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, errors.New("a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("a network namespace needs iproute2's ip command")
	}
	n := &Netns{name: fmt.Sprintf("surgemq-test-%d-%08x", os.Getpid(), rand.Uint32())}
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n.name).Run() })
	f, err := os.Open("/var/run/netns/" + n.name)
	if err != nil {
		return nil, err
	}
	n.f = f
	t.Cleanup(func() { _ = f.Close() })
	n.Run(t, "ip", "link", "set", "lo", "up")
	return n, nil
}

// Run runs a command inside the namespace, failing the test if it fails: for example
// ("ip", "addr", "add", "192.0.2.1/32", "dev", "lo") to give it an address, or
// ("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1") to make its addresses stop answering.
func (n *Netns) Run(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("in namespace %s: %v: %v: %s", n.name, args, err, out)
	}
}

// Enter moves the calling goroutine's OS thread into the namespace, so that sockets the
// goroutine opens afterwards are the namespace's, and locks the goroutine to that thread for
// good: call it from a goroutine that ends soon (a pinger call), as the runtime then discards
// the thread instead of reusing it elsewhere.
func (n *Netns) Enter() error {
	runtime.LockOSThread()
	if err := unix.Setns(int(n.f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", n.name, err)
	}
	return nil
}
