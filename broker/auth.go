package broker

import "net"

// ClientInfo describes a connected client to the authentication and authorization hooks.
type ClientInfo struct {
	ClientID   string
	Username   string
	RemoteAddr net.Addr // nil for in-process clients.
	Version    byte     // Protocol level: 3, 4 or 5.
}

// Authenticator decides whether a client may connect. Returning a non-nil error refuses the
// CONNECT; a packet.Code error (e.g. packet.ErrBadCredentials) selects the CONNACK code, any
// other error is reported as "not authorized".
type Authenticator interface {
	Authenticate(c ClientInfo, username string, password []byte) error
}

// Authorizer decides what a connected client may do. Its methods are called on every SUBSCRIBE
// filter and every PUBLISH, so they must be fast and safe for concurrent use.
type Authorizer interface {
	// CanSubscribe reports whether c may subscribe to filter; false gives SUBACK 0x80 (3.1.1)
	// or 0x87 (5.0) for that filter.
	CanSubscribe(c ClientInfo, filter string) bool
	// CanPublish reports whether c may publish to topic; a refused PUBLISH is acknowledged
	// (5.0: with reason 0x87) and dropped, as Mosquitto does.
	CanPublish(c ClientInfo, topic string) bool
}
