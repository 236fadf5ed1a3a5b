package serial

import "errors"

// ErrInvalidConfig is returned (wrapped, naming the key) by Config.Validate and New for a
// configuration value out of range.
var ErrInvalidConfig = errors.New("invalid serial config")

// ErrInvalidPayload is returned (wrapped) when a message on the tx topic cannot be decoded
// with the configured encoding or is larger than max_frame; the message is dropped.
var ErrInvalidPayload = errors.New("invalid tx payload")

// ErrDeviceGone is returned (wrapped) by a session when the configured path no longer exists
// or now names another device.
var ErrDeviceGone = errors.New("serial device gone")

// ErrRunning is returned by Port.Run when the Port is already running.
var ErrRunning = errors.New("serial port already running")
