package store

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"time"
)

// flushBytes: appended bytes past which the writer writes (without fsync) before it is asked.
const flushBytes = 512 << 10

// nudge wakes the writer without blocking.
func (s *Store) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Sync makes every record appended before the call durable. With FsyncAlways it blocks until
// they are written and fsynced; concurrent callers share one write and one fsync (group
// commit: the single writer goroutine takes everything appended while the previous fsync ran).
// With FsyncInterval it returns at once: the background flush makes them durable within
// Options.FsyncInterval. It returns the store's sticky write error, or ErrClosed after Close.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return ErrClosed
	}
	if s.opts.Fsync == FsyncInterval {
		return nil
	}
	target := s.appendSeq
	if s.syncedSeq >= target {
		return nil
	}
	s.syncWant = max(s.syncWant, target)
	s.nudge()
	for s.syncedSeq < target && s.err == nil && !s.writerDone {
		s.cond.Wait()
	}
	switch {
	case s.syncedSeq >= target:
		return nil
	case s.err != nil:
		return s.err
	}
	return ErrClosed
}

// writeLoop is the single writer: it writes appended records in batches, fsyncs them, rotates
// segments and starts compactions. On quit it writes and fsyncs everything and returns.
func (s *Store) writeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.FsyncInterval)
	defer t.Stop()
	for {
		force, quit := false, false
		select {
		case <-s.wake:
		case <-t.C:
			force = true
		case <-s.quit:
			force, quit = true, true
		}
		for s.round(force, quit) {
		}
		if quit {
			s.mu.Lock()
			s.writerDone = true
			s.cond.Broadcast()
			s.mu.Unlock()
			return
		}
	}
}

// round writes what is appended, fsyncs when asked (force, a waiting Sync, a rotation) and
// rotates or starts a compaction when due. It reports whether another round is needed at once.
func (s *Store) round(force, quit bool) bool {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return false
	}
	always := s.opts.Fsync == FsyncAlways
	wantSync := force || (always && s.syncWant > s.syncedSeq)
	compact := !quit && !s.compacting && (s.compactWant || s.shouldCompactLocked())
	rotate := compact || (!quit && s.active.size >= s.opts.SegmentSize && s.active.size > headerSize)
	data, f, seq := s.buf, s.active, s.appendSeq
	needFsync := (wantSync || rotate) && (len(data) > 0 || s.writtenSeq > s.syncedSeq)
	if len(data) == 0 && !rotate && !needFsync {
		s.mu.Unlock()
		return false
	}
	s.writing, s.writingFile, s.writingOff = data, f, f.size-int64(len(data))
	s.buf, s.spare = s.spare[:0], nil
	var next *segFile
	var sn *snapshot
	if rotate {
		s.maxNum++
		next = &segFile{id: s.newFileID(), num: s.maxNum}
		s.buf = appendHeader(s.buf, kindLog, s.idx.nextID)
		next.size = int64(len(s.buf))
		s.disk += next.size
		s.active = next
		if compact {
			sn = s.snapshotLocked(next.id)
		}
	}
	s.mu.Unlock()

	var err error
	if len(data) > 0 {
		_, err = f.f.Write(data)
		s.bytesWritten.Add(int64(len(data)))
	}
	if err == nil && needFsync {
		err = f.f.Sync()
		s.fsyncs.Add(1)
	}
	if err == nil && next != nil {
		next.f, err = s.createFile(next.num)
	}

	s.mu.Lock()
	s.writing, s.writingFile = nil, nil
	if cap(data) <= 4*flushBytes {
		s.spare = data[:0]
	}
	if err != nil {
		s.err = fmt.Errorf("store: write: %w", err)
		s.log.Error("store: write failed, the store accepts nothing more", "err", err)
		if sn != nil {
			s.compacting = false
			s.compDone++
			s.compErr = s.err
		}
		s.cond.Broadcast()
		s.mu.Unlock()
		return false
	}
	s.writtenSeq = seq
	if needFsync {
		s.syncedSeq = seq
	}
	if next != nil {
		s.files[next.id] = next
	}
	more := len(s.buf) > 0 && (quit || (always && s.syncWant > s.syncedSeq) || len(s.buf) >= flushBytes)
	s.cond.Broadcast()
	s.mu.Unlock()
	if sn != nil {
		s.wg.Add(1)
		go s.compact(sn)
	}
	return more
}

// shouldCompactLocked: the dead bytes exceed both the live bytes and Options.CompactMinBytes.
func (s *Store) shouldCompactLocked() bool {
	live := s.liveLocked()
	dead := s.disk - live
	return dead > live && dead >= s.opts.CompactMinBytes && !time.Now().Before(s.compactAfter)
}

// createFile creates segment num, empty, and makes its directory entry durable.
func (s *Store) createFile(num uint32) (*os.File, error) {
	f, err := os.OpenFile(s.path(segName(num)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(s.opts.Dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// snapshot is the state to compact, copied under the lock at a rotation.
type snapshot struct {
	num      uint32     // the compacted segment replaces segment num and all before it
	activeID uint32     // files with a smaller id are the ones compacted
	old      []*segFile // sorted by num
	sizes    []int64
	next     MsgID
	sessions []session
	retained []retainedRef
	fresh    []MsgID // put, not referenced yet, still within their grace period
	orphans  int     // messages dropped for having stayed unreferenced a whole compaction
}

type retainedRef struct {
	topic string
	id    MsgID
}

// snapshotLocked copies the live state as of the records appended so far (all of which go
// to the files older than activeID) and marks a compaction as started.
func (s *Store) snapshotLocked(activeID uint32) *snapshot {
	x := &s.idx
	sn := &snapshot{activeID: activeID, next: x.nextID}
	now := time.Now()
	sn.orphans = x.dropFresh(x.gen, now.Add(-s.opts.orphanGrace))
	x.gen++
	x.genAt[x.gen] = now
	for g := range x.genAt { // keep what fresh entries may still ask about
		if g+2 < x.gen && len(x.fresh) == 0 {
			delete(x.genAt, g)
		}
	}
	sn.sessions = make([]session, 0, len(x.sessions))
	for _, ss := range x.sessions {
		c := *ss
		c.queue, c.head = slices.Clone(ss.live()), 0
		c.inbound = slices.Clone(ss.inbound)
		sn.sessions = append(sn.sessions, c)
	}
	sn.retained = make([]retainedRef, 0, len(x.retained))
	for t, id := range x.retained {
		sn.retained = append(sn.retained, retainedRef{t, id})
	}
	for id := range x.fresh {
		sn.fresh = append(sn.fresh, id)
	}
	for _, sf := range s.files {
		sn.old = append(sn.old, sf)
	}
	slices.SortFunc(sn.old, func(a, b *segFile) int { return cmp.Compare(a.num, b.num) })
	for _, sf := range sn.old {
		sn.sizes = append(sn.sizes, sf.size)
	}
	sn.num = sn.old[len(sn.old)-1].num
	s.compacting, s.compactWant = true, false
	s.compStarted++
	return sn
}
