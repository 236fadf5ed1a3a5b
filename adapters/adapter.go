// Package adapters defines the contract between SurgeMQ's gateway and the adapters that bridge
// the outside world (serial devices, ping monitors, …) into MQTT topics, and a registry of
// adapter kinds in the style of Telegraf's inputs.
package adapters

import (
	"context"
)

// Message is one message delivered to a subscription handler. Payload must not be modified or
// retained beyond the handler call unless copied.
type Message struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// Handler receives messages for a subscription. It is called from one goroutine per
// subscription, in order, and should not block for long.
type Handler func(Message)

// Client is what an adapter publishes and subscribes through. The broker's in-process client
// (no socket) and the network client of package mqtt both satisfy it, so an adapter runs inside
// the gateway or standalone against any broker unchanged.
type Client interface {
	// Publish sends payload to topic. It returns when the message has been handed to the broker
	// (in process) or the QoS handshake has completed (network).
	Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error
	// Subscribe calls h for every message matching filter until ctx ends or the returned
	// unsubscribe function is called.
	Subscribe(ctx context.Context, filter string, qos byte, h Handler) (unsubscribe func(), err error)
}

// Adapter is one configured instance of an adapter kind.
type Adapter interface {
	// Run publishes and subscribes through c until ctx is cancelled, then returns nil. A
	// returned error means the adapter failed; the gateway logs it and restarts the adapter
	// with backoff. A panic in Run is recovered by the gateway; every goroutine Run starts
	// runs its work through Guard, so that a panic there ends Run rather than the process.
	Run(ctx context.Context, c Client) error
}
