package gateway_test

import (
	"context"
	"fmt"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/gateway"
)

// A gateway from a TOML document, on a free loopback port; a subscriber in the same process
// sees its retained status.
func Example() {
	cfg, err := gateway.Parse("example.toml", []byte(`
[broker]
  listeners = ["127.0.0.1:0"]
  sys_interval = "0s"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := gateway.New(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-g.Ready()

	status := make(chan string, 1)
	unsubscribe, err := g.Server().Subscribe("surgemq/status", 1, func(m *broker.Message) { status <- string(m.Payload) })
	if err == nil {
		fmt.Println("surgemq/status:", <-status)
		unsubscribe()
	}

	cancel()
	fmt.Println("Run:", <-done)
	// Output:
	// surgemq/status: online
	// Run: <nil>
}

// Every problem names the file, the line and the key.
func ExampleParse() {
	_, err := gateway.Parse("surgemq.toml", []byte(`
[broker]
  listeners = ["0.0.0.0:1883"]
  max_inflight = 0

[[serial]]
  name = "gps"
  baud = 4800
`))
	fmt.Println(err)
	// Output:
	// surgemq.toml:4: broker.max_inflight: 0 is not within 1-65535
	// surgemq.toml:6: serial[0]: invalid serial config: path: empty
}
