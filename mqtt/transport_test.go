package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// roundTrip subscribes and publishes one QoS 1 message through c.
func roundTrip(t *testing.T, c *Client) {
	t.Helper()
	ctx := testCtx(t)
	s := newSink()
	_, err := c.Subscribe(ctx, s.handle, Subscription{Filter: "transport/#", QoS: QoS1})
	require.NoError(t, err)
	payload := make([]byte, 100_000) // Larger than one TLS record or WebSocket frame buffer.
	for i := range payload {
		payload[i] = byte(i)
	}
	require.NoError(t, c.Publish(ctx, "transport/x", payload, QoS1))
	require.Equal(t, payload, s.next(t).Payload)
}

// TestTLS connects over TLS with a self-signed certificate, and fails to without trusting it.
func TestTLS(t *testing.T) {
	cert := newTestCert(t)
	forEachBroker(t, brokerConfig{TLS: cert}, func(t *testing.T, b testBroker) {
		for _, scheme := range []string{"mqtts", "ssl", "tls"} {
			c := dialTest(t, scheme+"://"+b.TLSAddr(), Options{ClientID: clientID(scheme), TLSConfig: &tls.Config{RootCAs: cert.pool}})
			roundTrip(t, c)
		}
		_, err := Dial(testCtx(t), "mqtts://"+b.TLSAddr(), Options{ClientID: clientID("untrusted"), TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}})
		var unknown x509.UnknownAuthorityError
		require.True(t, errors.As(err, &unknown), "got %v", err)
		// The certificate names 127.0.0.1 and localhost, nothing else.
		_, err = Dial(testCtx(t), "mqtts://"+b.TLSAddr(), Options{ClientID: clientID("wrongname"),
			TLSConfig: &tls.Config{RootCAs: cert.pool, ServerName: "example.com"}})
		var host x509.HostnameError
		require.True(t, errors.As(err, &host), "got %v", err)
	})
}

// TestWebSocket connects with ws:// and wss:// (subprotocol "mqtt") through a WebSocket
// front end to the broker.
func TestWebSocket(t *testing.T) {
	cert := newTestCert(t)
	forEachBroker(t, brokerConfig{}, func(t *testing.T, b testBroker) {
		ws := startWSProxy(t, b.Addr(), nil)
		roundTrip(t, dialTest(t, ws.URL(), Options{ClientID: clientID("ws"), Version: V5}))
		wss := startWSProxy(t, b.Addr(), cert)
		roundTrip(t, dialTest(t, wss.URL(), Options{ClientID: clientID("wss"), TLSConfig: &tls.Config{RootCAs: cert.pool}}))
	})
}
