package mqtttest

import (
	"bytes"
	"regexp"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds Buffer.WaitMatch.
const waitTimeout = 10 * time.Second

// Buffer collects output written concurrently (a process's stdout, a slog handler's writer)
// and lets a test read it, or wait until it shows a pattern, while it is being written. The
// zero value is ready to use.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced by every Write
}

// Write appends p and wakes the waiters.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WaitMatch waits until what was written matches the regular expression re and returns the
// leftmost match and its groups, as regexp.FindStringSubmatch does. It fails the test, showing
// what was written, if that takes longer than ten seconds. It wakes on writes, not on a timer.
func (b *Buffer) WaitMatch(t testing.TB, re string) []string {
	t.Helper()
	m := b.waitMatch(regexp.MustCompile(re), waitTimeout)
	if m == nil {
		t.Fatalf("output never matched %q:\n%s", re, b.String())
	}
	return m
}

// waitMatch is WaitMatch with a timeout; nil when the timeout passes first.
func (b *Buffer) waitMatch(re *regexp.Regexp, timeout time.Duration) []string {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.b.String())
		if m == nil && b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		b.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil
		}
	}
}
