// Package mqttclient connects adapters to any MQTT broker over the network: an
// adapters.Client backed by the reconnecting client of package mqtt, so an adapter such as
// pingmq runs standalone against Mosquitto, EMQX or a remote SurgeMQ exactly as it runs inside
// the gateway.
//
//	c, err := mqtt.Dial(ctx, "mqtt://broker.lan:1883", mqtt.Options{ClientID: "pingmq"})
//	if err != nil {
//		return err
//	}
//	defer c.Disconnect(context.Background())
//	err = monitor.Run(ctx, mqttclient.New(c))
//
// # Publishing
//
// Publish is mqtt.Client.Publish with the adapter contract's qos and retain: it returns once
// the QoS handshake is done, and while the connection is down the message waits in the
// client's bounded queue (mqtt.Options.QueueSize) until the client has reconnected.
//
// # Subscribing
//
// Each Subscribe gets its own goroutine that calls the handler one message at a time, in the
// order the broker sent them, so a handler may publish at any QoS or subscribe without
// stalling the connection. Messages are handed to that goroutine through a queue that grows
// as needed up to 1024 waiting messages; beyond that a subscription drops what arrives
// (adapters must not slow the connection; package broker's in-process subscriptions do the
// same). QoS 1 and 2 messages are acknowledged once they are queued, not when the handler
// returns.
//
// The subscription ends when its context ends or its unsubscribe function is called: no
// handler call starts after that. When the last subscription of a filter ends, an
// UNSUBSCRIBE is sent in the background (bounded by a timeout, or by Disconnect). After a
// reconnect on which the broker kept no session, the mqtt client subscribes again by itself.
//
// Several subscriptions to the same filter share one network subscription, because MQTT
// keeps one subscription per filter and client; each of them receives every message. Only
// the first sends SUBSCRIBE, so only it receives the filter's retained messages, and its QoS
// stays the network subscription's maximum (a server may always grant less than asked).
// Subscribe calls on one Client run one at a time.
//
// Ending every subscription is the caller's job (cancel the context passed to Subscribe)
// before or after mqtt.Client.Disconnect; the handler goroutines do not watch the client.
package mqttclient
