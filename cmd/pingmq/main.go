// Command pingmq pings hosts and publishes whether they answer over MQTT: the successor of
// the 2014 SurgeMQ pingmq example, built on package pingmq.
//
//	pingmq server  [-u tcp://:5836] -p TARGETS [-i 60] [-layout old|new|both]
//	pingmq client  [-s tcp://127.0.0.1:5836] [-t /ping/#]... [-C count]
//	pingmq monitor -b mqtt://broker:1883 -p TARGETS [-i 60] [-prefix surgemq] [-legacy] [-homeassistant]
//	pingmq version
//	pingmq help
//
// Run "pingmq help" for the details.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
