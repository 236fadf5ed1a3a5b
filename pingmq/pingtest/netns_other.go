//go:build !linux

package pingtest

import (
	"errors"
	"testing"
)

// Netns is a network namespace made for one test; there are none on this system.
type Netns struct{}

// NewNetns skips the test: network namespaces are Linux's.
func NewNetns(t testing.TB) *Netns {
	t.Helper()
	t.Skip("network namespaces are Linux's")
	return nil
}

// OpenNetns returns why there is no namespace: network namespaces are Linux's.
func OpenNetns(t testing.TB) (*Netns, error) {
	return nil, errors.New("network namespaces are Linux's")
}

// Run fails the test; NewNetns never returns a Netns here.
func (n *Netns) Run(t testing.TB, args ...string) {
	t.Helper()
	t.Fatal("no network namespaces on this system")
}

// Enter fails; NewNetns never returns a Netns here.
func (n *Netns) Enter() error { return errors.New("no network namespaces on this system") }
