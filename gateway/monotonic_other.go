//go:build !linux

package gateway

// monotonicUsec is only implemented where systemd runs.
func monotonicUsec() (uint64, bool) { return 0, false }
