package store

import "errors"

// Errors returned by the store. Compare with errors.Is: most are wrapped with context.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("store: closed")
	// ErrFull is returned by an append that would take the segment files past
	// Options.MaxBytes even after a compaction. Each refusal is counted (Stats.Refused).
	ErrFull = errors.New("store: full")
	// ErrCorrupt is returned by Message when the record on disk fails its checksum or
	// cannot be decoded, and wraps the reasons replay logs for records it drops.
	ErrCorrupt = errors.New("store: corrupt record")
	// ErrNotFound is returned for a message, session, queue entry or inbound packet id
	// the store does not hold.
	ErrNotFound = errors.New("store: not found")
	// ErrExists is returned by Enqueue for a message already in that session's queue and
	// by AddInbound for a packet id already recorded.
	ErrExists = errors.New("store: already exists")
	// ErrInvalid wraps every error for a bad argument or a bad Options value.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrLocked is returned by Open when another process holds the directory's lock.
	ErrLocked = errors.New("store: directory locked by another process")
	// ErrVersion is returned by Open for a directory written in a newer format.
	ErrVersion = errors.New("store: unsupported format version")
)

// errNoop is returned internally by index operations that change nothing (no record is
// appended for them).
var errNoop = errors.New("store: no change")
