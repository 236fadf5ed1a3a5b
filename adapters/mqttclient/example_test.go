package mqttclient_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/mqttclient"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt"
)

// An adapter's view of a broker reached over TCP: publish a retained status, subscribe and
// get it back flagged retained.
func ExampleNew() {
	s, _ := broker.New(broker.Options{SysInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go s.Serve(l)
	defer s.Shutdown(context.Background())

	ctx := context.Background()
	c, err := mqtt.Dial(ctx, "mqtt://"+l.Addr().String(), mqtt.Options{ClientID: "adapter"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Disconnect(ctx)
	a := mqttclient.New(c)

	_ = a.Publish(ctx, "surgemq/status", []byte("online"), 1, true)
	got := make(chan adapters.Message, 1)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscription
	_, err = a.Subscribe(sctx, "surgemq/#", 1, func(m adapters.Message) { got <- m })
	if err != nil {
		fmt.Println(err)
		return
	}
	m := <-got
	fmt.Println(m.Topic, string(m.Payload), "retained:", m.Retain)
	// Output: surgemq/status online retained: true
}
