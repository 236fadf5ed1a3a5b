//go:build linux

package pingtest_test

import (
	"net"
	"testing"

	"github.com/lonelyleaf/surgemq/pingmq/pingtest"
)

// A listener opened after Enter is inside the namespace: the namespace's address accepts it,
// and it is not reachable from outside.
func TestNetnsEnter(t *testing.T) {
	ns := pingtest.NewNetns(t)
	ns.Run(t, "ip", "addr", "add", "192.0.2.7/32", "dev", "lo")
	type result struct {
		addr string
		err  error
	}
	got := make(chan result, 1)
	accepted := make(chan error, 1)
	go func() {
		if err := ns.Enter(); err != nil {
			got <- result{err: err}
			return
		}
		l, err := net.Listen("tcp", "192.0.2.7:0")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer l.Close()
		got <- result{addr: l.Addr().String()}
		c, err := net.Dial("tcp", l.Addr().String()) // from inside: reachable
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := <-accepted; err != nil {
		t.Fatalf("inside the namespace, its address is not reachable: %v", err)
	}
	if l, err := net.Listen("tcp", "192.0.2.7:0"); err == nil {
		l.Close()
		t.Fatal("the namespace's address is bindable outside it")
	}
}
