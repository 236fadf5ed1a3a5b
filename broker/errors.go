package broker

import "errors"

// Errors returned by the broker.
var (
	// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
	ErrServerClosed = errors.New("broker: server closed")
	// ErrInvalidOptions wraps every error New returns for a bad Options value.
	ErrInvalidOptions = errors.New("broker: invalid options")
	// ErrNotAuthorized is returned by the in-process client when the Authorizer refuses.
	ErrNotAuthorized = errors.New("broker: not authorized")
)
