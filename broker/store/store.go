package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Store is a durable store of persistent sessions, their queued and in-flight messages and
// the retained messages. All methods are safe for concurrent use. Lock order: readMu, mu.
type Store struct {
	opts Options
	log  *slog.Logger
	lock io.Closer // the directory lock

	readMu sync.RWMutex // read-held by Message around ReadAt; write-held to close files
	mu     sync.Mutex
	cond   sync.Cond // on mu: write progress, compaction progress, close

	idx     index
	files   map[uint32]*segFile // by id: every segment file with an open handle
	active  *segFile            // where appends go; may not be created on disk yet (rotation)
	fileSeq uint32              // last segFile.id handed out
	maxNum  uint32              // highest segment number

	buf         []byte // appended records not yet handed to the writer; they end the active file
	spare       []byte
	writing     []byte // the records the writer is writing now, at writingOff in writingFile
	writingFile *segFile
	writingOff  int64

	appendSeq  uint64 // records appended
	syncWant   uint64 // highest appendSeq a Sync waits for
	writtenSeq uint64 // records written
	syncedSeq  uint64 // records written and fsynced
	disk       int64  // logical bytes of all segment files
	closed     bool
	writerDone bool
	err        error // sticky write error: the store accepts nothing more

	compacting   bool
	compactWant  bool
	compStarted  uint64
	compDone     uint64
	compErr      error
	compactAfter time.Time // no automatic compaction before, after a failed one

	refusedLogged  time.Time
	refusedPending int64

	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup

	records      atomic.Int64
	bytesWritten atomic.Int64
	fsyncs       atomic.Int64
	compactions  atomic.Int64
	refused      atomic.Int64
}

// Open opens the store in opts.Dir, creating it if needed, replays every segment and returns
// what is live. Torn and corrupt records are dropped and logged, never a reason to fail;
// Open fails for a bad Options value, an I/O error, a directory locked by another process
// (ErrLocked) or one written by a newer format (ErrVersion).
func Open(opts Options) (*Store, *State, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, nil, err
	}
	s := &Store{
		opts:  opts,
		log:   opts.Logger,
		lock:  lock,
		idx:   newIndex(),
		files: make(map[uint32]*segFile),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
	}
	s.cond.L = &s.mu
	start := time.Now()
	if err := s.load(); err != nil {
		for _, sf := range s.files {
			sf.f.Close()
		}
		lock.Close()
		return nil, nil, err
	}
	st := s.idx.state()
	s.log.Info("store opened", "dir", opts.Dir, "segments", len(s.files), "bytes", s.disk,
		"sessions", len(s.idx.sessions), "messages", len(s.idx.msgs), "took", time.Since(start))
	s.wg.Add(1)
	go s.writeLoop()
	return s, st, nil
}

// Close writes and fsyncs every appended record, stops the background goroutines (an
// unfinished compaction is abandoned, which is safe) and closes the files. It returns the
// store's sticky write error, if any, and ErrClosed when called again.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	close(s.quit)
	s.wg.Wait()

	s.readMu.Lock()
	s.mu.Lock()
	err := s.err
	for _, sf := range s.files {
		if cerr := sf.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: close %s: %w", segName(sf.num), cerr)
		}
	}
	clear(s.files)
	s.mu.Unlock()
	s.readMu.Unlock()
	if cerr := s.lock.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store: unlock: %w", cerr)
	}
	return err
}

// Message reads message id from disk (or from the records not yet written). It returns
// ErrNotFound for a message the store does not hold, ErrCorrupt when the record on disk is
// damaged.
func (s *Store) Message(id MsgID) (Message, error) {
	s.readMu.RLock()
	defer s.readMu.RUnlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Message{}, ErrClosed
	}
	e, ok := s.idx.msgs[id]
	if !ok {
		s.mu.Unlock()
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	var raw []byte
	if p := s.pendingLocked(e); p != nil {
		raw = slices.Clone(p)
	}
	sf := s.files[e.file]
	s.mu.Unlock()
	if raw == nil {
		if sf == nil {
			return Message{}, fmt.Errorf("message %d: segment gone: %w", id, ErrCorrupt)
		}
		raw = make([]byte, e.size)
		if _, err := sf.f.ReadAt(raw, e.off); err != nil {
			return Message{}, fmt.Errorf("read message %d from %s: %w", id, segName(sf.num), err)
		}
	}
	return parseMessageFrame(id, raw)
}

// parseMessageFrame checks and decodes a whole message frame.
func parseMessageFrame(id MsgID, raw []byte) (Message, error) {
	if len(raw) < frameHeader+8 || recType(raw[8]) != recMessage ||
		binary.LittleEndian.Uint32(raw[4:8]) != uint32(len(raw)-8) ||
		crc32.Checksum(raw[4:], castagnoli) != binary.LittleEndian.Uint32(raw[0:4]) {
		return Message{}, fmt.Errorf("message %d: bad frame: %w", id, ErrCorrupt)
	}
	got, m, err := decodeMessage(raw[frameHeader:])
	if err != nil {
		return Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	if got != id {
		return Message{}, fmt.Errorf("message %d: record holds message %d: %w", id, got, ErrCorrupt)
	}
	return m, nil
}

// pendingLocked returns the frame of e when it is still in memory (appended, not written).
func (s *Store) pendingLocked(e msgEntry) []byte {
	end := e.off + int64(e.size)
	if s.writing != nil && e.file == s.writingFile.id && e.off >= s.writingOff &&
		end <= s.writingOff+int64(len(s.writing)) {
		return s.writing[e.off-s.writingOff : end-s.writingOff]
	}
	if a := s.active; e.file == a.id {
		if bufOff := a.size - int64(len(s.buf)); e.off >= bufOff {
			return s.buf[e.off-bufOff : end-bufOff]
		}
	}
	return nil
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	st := Stats{
		DiskBytes: s.disk,
		LiveBytes: s.liveLocked(),
		Segments:  len(s.files),
		Sessions:  len(s.idx.sessions),
		Messages:  len(s.idx.msgs),
	}
	if s.files[s.active.id] == nil {
		st.Segments++ // rotated to, not created yet
	}
	s.mu.Unlock()
	st.Records = s.records.Load()
	st.BytesWritten = s.bytesWritten.Load()
	st.Fsyncs = s.fsyncs.Load()
	st.Compactions = s.compactions.Load()
	st.Refused = s.refused.Load()
	return st
}

// liveLocked is the size a compaction would leave: the live records and a header.
func (s *Store) liveLocked() int64 { return s.idx.live + headerSize }

func (s *Store) newFileID() uint32 {
	s.fileSeq++
	return s.fileSeq
}
