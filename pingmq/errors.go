package pingmq

import "errors"

// ErrInvalidConfig is returned (wrapped, naming the key) by Config.Validate and New for a
// configuration value out of range.
var ErrInvalidConfig = errors.New("invalid pingmq config")

// ErrInvalidTarget is returned (wrapped, naming the target) for a target that is neither an
// IP address, a host name, a CIDR prefix nor an octet range.
var ErrInvalidTarget = errors.New("invalid target")

// ErrDuplicateTarget is returned when two targets expand to the same host.
var ErrDuplicateTarget = errors.New("duplicate target")

// ErrTooManyHosts is returned when the targets expand to more than MaxHosts hosts.
var ErrTooManyHosts = errors.New("too many hosts")

// ErrNoICMP is returned by Monitor.Run when no ICMP socket of the configured mode can be
// opened; the wrapped text says which one failed and how to fix it.
var ErrNoICMP = errors.New("no icmp socket available")

// ErrRunning is returned by Monitor.Run when the Monitor is already running.
var ErrRunning = errors.New("monitor already running")
