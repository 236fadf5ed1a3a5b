package bench

import "errors"

// Errors returned by Run and ParseArgs. Failures talking to the broker wrap one of the
// connection errors with the client and the cause, e.g.
// "connect sub3: connection refused: dial tcp …".
var (
	// ErrConfig means a Config (or a command-line flag) is invalid; the message says which.
	ErrConfig = errors.New("invalid benchmark configuration")
	// ErrConnect means a client could not connect: dial failed, no CONNACK in time, or the
	// broker refused the CONNECT.
	ErrConnect = errors.New("connect failed")
	// ErrSubscribe means the broker refused a subscription or did not answer it in time.
	ErrSubscribe = errors.New("subscribe failed")
	// ErrProtocol means the broker sent something the generator did not expect at that point.
	ErrProtocol = errors.New("unexpected packet from broker")
	// ErrNoProc means broker statistics were asked for (a -pid) but /proc could not be read.
	ErrNoProc = errors.New("cannot read process statistics")
	// ErrClosed is returned by Forwarder.Serve after Forwarder.Close.
	ErrClosed = errors.New("forwarder closed")
)
