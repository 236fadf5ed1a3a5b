// Package broker is SurgeMQ's MQTT broker: MQTT 3.1, 3.1.1 and (basic) 5.0 over any
// net.Listener, QoS 0, 1 and 2, retained messages, wills, persistent sessions with offline
// queueing and redelivery, $SYS statistics, authentication and authorization hooks, and an
// in-process client (Server.Publish, Server.Subscribe) for code in the same program.
//
// The lifecycle follows net/http:
//
//	s, err := broker.New(broker.Options{})
//	l, err := net.Listen("tcp", "127.0.0.1:1883")
//	go s.Serve(l)            // returns ErrServerClosed after Shutdown
//	...
//	s.Shutdown(ctx)
//
// Each connection costs two goroutines (a read loop and a write loop) and buffers that grow
// only while data flows. A publisher is never blocked by a subscriber: each connection's
// outbound bytes are bounded (Options.MaxOutboundBytes); beyond the bound QoS 0 messages are
// dropped and counted while QoS 1/2 messages wait in the session queue
// (Options.MaxQueuedMessages, Options.MaxQueuedBytes), and a connection whose socket accepts
// nothing for Options.WriteTimeout is closed.
package broker
