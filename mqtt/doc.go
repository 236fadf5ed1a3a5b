// Package mqtt is an MQTT 3.1, 3.1.1 and 5.0 client.
//
//	c, err := mqtt.Dial(ctx, "mqtt://pi.local:1883", mqtt.Options{ClientID: "kitchen"})
//	if err != nil {
//		return err
//	}
//	defer c.Disconnect(context.Background())
//	_, err = c.Subscribe(ctx, func(m *mqtt.Message) {
//		fmt.Printf("%s: %s\n", m.Topic, m.Payload)
//	}, mqtt.Subscription{Filter: "sensors/+/temperature", QoS: mqtt.QoS1})
//	err = c.Publish(ctx, "sensors/kitchen/temperature", []byte("21.5"), mqtt.QoS1, mqtt.Retain)
//
// Every blocking call takes a context first. Publish returns when the QoS handshake is done
// (QoS 0: handed to the connection; QoS 1: PUBACK; QoS 2: PUBCOMP). Subscribe returns what
// the server granted or refused per filter; refusals, failed PUBACKs and refused connections
// carry the server's reason code as a packet.Code (errors.Is(err, packet.ErrNotAuthorized)).
//
// # Connections
//
// Dial accepts mqtt:// and tcp:// (port 1883), mqtts://, ssl:// and tls:// (8883, configured
// by Options.TLSConfig), ws:// and wss:// (MQTT over WebSocket, subprotocol "mqtt"). After
// Dial, a supervising goroutine keeps the client connected: when a connection is lost it
// reconnects with Options.Backoff (exponential with jitter by default), subscribes again if
// the server kept no session, and resends unacknowledged QoS 1 and 2 messages with the DUP
// flag. Messages published while disconnected wait in a bounded queue (Options.QueueSize);
// Options.FailFast makes a full queue an error (ErrQueueFull) instead of a wait.
// Options.OnStateChange reports every connection and disconnection.
//
// Keepalive sends PINGREQ when the connection has been quiet for most of Options.KeepAlive and
// declares it dead when no answer comes within Options.PingTimeout.
//
// # Receiving
//
// Received messages are routed to the handler of every subscription whose filter matches
// (MQTT 5: by the subscription identifier the client gives each filter). Handlers run on one
// goroutine of the client, one message at a time in arrival order, fed by a bounded queue
// (Options.InboundQueue): a slow handler makes the client stop reading, never stops
// keepalive. QoS 1 and 2 messages are acknowledged after their handlers return.
//
// # Concurrency and resources
//
// A Client is safe for concurrent use. Per connection it runs one reader and one writer
// goroutine; packets are encoded by the calling goroutine straight into the writer's buffer,
// and the writer writes everything queued since its last write with one Write. Disconnect
// stops every goroutine the client started.
//
// A handler may publish at QoS 0. A handler that waits for the server — Publish at QoS 1 or 2,
// Subscribe, Unsubscribe — deadlocks once the inbound queue is full (the reader waits for the
// handler, the handler for an ack the reader would read): do that from another goroutine.
//
// Not implemented: MQTT 5 enhanced authentication (AUTH) and outgoing topic aliases.
package mqtt
