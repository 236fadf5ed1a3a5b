package pingmq_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
	"github.com/lonelyleaf/surgemq/pingmq"
)

func ExampleExpandTarget() {
	for _, t := range []string{"10.0.0.0/30", "10.1.1.1-3", "10.1.1-2.1"} {
		hosts, err := pingmq.ExpandTarget(t)
		fmt.Println(t, hosts, err)
	}
	// Output:
	// 10.0.0.0/30 [10.0.0.1 10.0.0.2] <nil>
	// 10.1.1.1-3 [10.1.1.1 10.1.1.2 10.1.1.3] <nil>
	// 10.1.1-2.1 [10.1.1.1 10.1.2.1] <nil>
}

// A Monitor with a stand-in Pinger (every host answers) publishing to an in-memory client;
// the gateway passes its broker client instead.
func ExampleMonitor() {
	cfg := pingmq.DefaultConfig()
	cfg.Targets = []string{"10.0.0.0/30"}
	m, err := pingmq.New(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Pinger = func(ctx context.Context, host string, count int, timeout time.Duration) (pingmq.Stats, error) {
		return pingmq.Stats{Addr: host, Sent: count, Recv: count, AvgRTT: time.Millisecond, TTL: 64}, nil
	}
	c := adapterstest.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx, c) }()
	c.Wait(5*time.Second, func() bool { return len(c.Matching("surgemq/ping/+/state")) == 2 })
	cancel()
	fmt.Println(<-done)
	for _, h := range m.Hosts() {
		fmt.Println(m.StateTopic(h)+"/state", c.RetainedPayload(m.StateTopic(h)+"/state"))
	}
	// Output:
	// <nil>
	// surgemq/ping/10.0.0.1/state online
	// surgemq/ping/10.0.0.2/state online
}
