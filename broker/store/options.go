package store

import (
	"fmt"
	"log/slog"
	"time"
)

// FsyncMode selects when appended records are made durable.
type FsyncMode int

const (
	// FsyncAlways makes Sync block until every record appended before it is written and
	// fsynced. Concurrent Sync callers share one fsync (group commit).
	FsyncAlways FsyncMode = iota
	// FsyncInterval makes Sync return at once; a background flush writes and fsyncs every
	// Options.FsyncInterval. A crash loses at most the records of the last interval.
	FsyncInterval
)

// String returns "always" or "interval".
func (m FsyncMode) String() string {
	switch m {
	case FsyncAlways:
		return "always"
	case FsyncInterval:
		return "interval"
	}
	return fmt.Sprintf("FsyncMode(%d)", int(m))
}

// Defaults for the zero values of Options fields.
const (
	DefaultFsyncInterval   = time.Second
	DefaultSegmentSize     = 64 << 20
	DefaultCompactMinBytes = 4 << 20
)

// Options configure Open.
type Options struct {
	// Dir holds the segment files; created (0700) if missing. Required.
	Dir string
	// Fsync selects FsyncAlways (the default) or FsyncInterval.
	Fsync FsyncMode
	// FsyncInterval is the period of the background flush: the loss window of FsyncInterval
	// and, with FsyncAlways, the longest an appended record waits when nobody calls Sync.
	// Default DefaultFsyncInterval.
	FsyncInterval time.Duration
	// MaxBytes limits the total bytes of segment files; 0 = no limit. An append that would
	// exceed it first waits for a compaction (when dead bytes could make room) and then fails
	// with ErrFull. Removals (Dequeue, DeleteSession, ...) are never refused. A compaction
	// writes the live data before deleting the old segments, so the directory can briefly
	// hold up to MaxBytes plus the live bytes.
	MaxBytes int64
	// Logger receives what replay drops and repairs, compactions and refusals; nil = discard.
	Logger *slog.Logger
	// SegmentSize is the size past which the log rotates to a new segment file. Default
	// DefaultSegmentSize.
	SegmentSize int64
	// CompactMinBytes: a compaction starts when the dead bytes exceed both the live bytes
	// and CompactMinBytes. Default DefaultCompactMinBytes.
	CompactMinBytes int64

	// orphanGrace is how long a message put but not yet referenced is kept by compactions;
	// zero means defaultOrphanGrace, negative none (tests).
	orphanGrace time.Duration

	// hook, set by tests, is called at the named points of a compaction; an error returned
	// at "begin" or "written" aborts that compaction.
	hook func(point string) error
}

// defaultOrphanGrace: a message put is referenced by the broker right after, but under load
// several compactions may run in between; one unreferenced this long was orphaned by a failure.
const defaultOrphanGrace = time.Minute

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("options: empty Dir: %w", ErrInvalid)
	}
	if o.Fsync != FsyncAlways && o.Fsync != FsyncInterval {
		return o, fmt.Errorf("options: unknown fsync mode %d: %w", int(o.Fsync), ErrInvalid)
	}
	if o.FsyncInterval < 0 || o.MaxBytes < 0 || o.SegmentSize < 0 || o.CompactMinBytes < 0 {
		return o, fmt.Errorf("options: negative value: %w", ErrInvalid)
	}
	if o.FsyncInterval == 0 {
		o.FsyncInterval = DefaultFsyncInterval
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.CompactMinBytes == 0 {
		o.CompactMinBytes = DefaultCompactMinBytes
	}
	if o.orphanGrace == 0 {
		o.orphanGrace = defaultOrphanGrace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
