// Package adapterstest provides, for adapter tests, DecodeStrict (TOML decoding as the gateway
// does it) and an in-memory adapters.Client: it records
// every publish, keeps a retained store like a broker, and lets a test inject messages into
// the adapter's subscriptions.
//
// Delivery follows the adapters.Client contract: each subscription has its own goroutine that
// calls the handler in order; the goroutine ends when the subscription's context ends or its
// unsubscribe function is called. Messages published by the adapter are delivered to its own
// matching subscriptions too, as a broker would, and a new subscription first receives the
// matching retained messages.
//
// Tests wait for effects with Wait, never with sleeps:
//
//	c := adapterstest.New()
//	go func() { done <- a.Run(ctx, c) }()
//	require.True(t, c.Wait(5*time.Second, func() bool { return c.Subscribed("surgemq/serial/gps/tx") }))
//	c.Inject("surgemq/serial/gps/tx", []byte("hello"), false)
package adapterstest
