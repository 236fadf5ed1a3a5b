package bench_test

import (
	"context"
	"fmt"

	"github.com/lonelyleaf/surgemq/cmd/surgemq/internal/bench"
)

// A QoS 1 fan-out of 1,000 messages to three subscribers through the self-test forwarder:
// every acknowledged message arrives at every subscriber.
func Example() {
	rep, err := bench.Run(context.Background(), bench.Config{
		Scenario: bench.FanOut,
		Clients:  3,
		QoS:      1,
		Count:    1000,
		Selftest: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := rep.Messages
	fmt.Println(m.Published, m.Delivered, m.Loss.Total, m.Verdict.OK)
	// Output: 1000 3000 0 true
}
