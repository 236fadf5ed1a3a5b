package store

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// replayStats counts what replay skipped, for one summary line.
type replayStats struct {
	records  int64
	skipped  int64 // valid records that no longer apply (their target was lost)
	firstErr error
}

// load replays the directory into s.idx and sets up the active segment.
func (s *Store) load() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var nums []uint32
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, compactSuffix) {
			if err := os.Remove(s.path(name)); err != nil {
				return fmt.Errorf("store: remove unfinished compaction: %w", err)
			}
			s.log.Info("store: removed an unfinished compaction", "file", name)
			continue
		}
		if n, ok := parseSegName(name); ok && e.Type().IsRegular() {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)

	segs := make([]*segFile, 0, len(nums))
	hdrErrs := make(map[uint32]error)
	for i, n := range nums {
		flag := os.O_RDONLY
		if i == len(nums)-1 {
			flag = os.O_RDWR
		}
		f, err := os.OpenFile(s.path(segName(n)), flag, 0)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		sf := &segFile{id: s.newFileID(), num: n, f: f}
		s.files[sf.id] = sf
		segs = append(segs, sf)
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		sf.size = fi.Size()
		h, err := readHeader(f, sf.size)
		switch {
		case err != nil && !badFrame(err):
			return fmt.Errorf("store: read %s: %w", segName(n), err)
		case err != nil:
			hdrErrs[sf.id] = err
		case h.version != formatVersion:
			return fmt.Errorf("store: %s has format version %d, this build reads %d: %w",
				segName(n), h.version, formatVersion, ErrVersion)
		default:
			sf.snapshot = h.kind == kindSnapshot
			s.idx.nextID = max(s.idx.nextID, h.next)
		}
		s.maxNum = n
	}

	// The newest snapshot holds the whole state as of every segment numbered up to it: a
	// compaction that crashed after its rename had not deleted the older ones yet.
	first := 0
	for i := len(segs) - 1; i > 0; i-- {
		if segs[i].snapshot {
			first = i
			break
		}
	}
	if first > 0 {
		for _, sf := range segs[:first] {
			sf.f.Close()
			delete(s.files, sf.id)
			if err := os.Remove(s.path(segName(sf.num))); err != nil {
				return fmt.Errorf("store: remove superseded segment: %w", err)
			}
		}
		if err := syncDir(s.opts.Dir); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		s.log.Info("store: finished an interrupted compaction", "removed", first,
			"snapshot", segName(segs[first].num))
		segs = segs[first:]
	}

	var rs replayStats
	s.idx.replay = true
	for i, sf := range segs {
		last := i == len(segs)-1
		if err := hdrErrs[sf.id]; err != nil {
			if sf.size == 0 {
				continue // created by a rotation just before a crash: nothing to drop
			}
			if err := s.dropTail(sf, 0, last, err); err != nil {
				return err
			}
			continue
		}
		if err := s.replaySegment(sf, last, &rs); err != nil {
			return err
		}
	}
	if rs.skipped > 0 {
		s.log.Warn("store: skipped records whose target was lost", "records", rs.skipped,
			"first", rs.firstErr)
	}
	if n := s.idx.endReplay(); n > 0 {
		s.log.Info("store: dropped unreferenced messages", "messages", n)
	}
	for _, sf := range segs {
		s.disk += sf.size
	}
	return s.openActive(segs)
}

// openActive makes the last segment the active one, or creates a new one when there is
// none or the last is a snapshot.
func (s *Store) openActive(segs []*segFile) error {
	if n := len(segs); n > 0 && !segs[n-1].snapshot {
		sf := segs[n-1]
		if sf.size == 0 {
			// Empty or its header was torn: give it a fresh header.
			if err := writeFull(sf.f, appendHeader(nil, kindLog, s.idx.nextID), 0); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			sf.size = headerSize
			s.disk += headerSize
		}
		if _, err := sf.f.Seek(sf.size, io.SeekStart); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		s.active = sf
		return nil
	}
	sf, err := s.createSegment(s.maxNum + 1)
	if err != nil {
		return err
	}
	hdr := appendHeader(nil, kindLog, s.idx.nextID)
	if err := writeFull(sf.f, hdr, 0); err != nil {
		sf.f.Close()
		return fmt.Errorf("store: %w", err)
	}
	if _, err := sf.f.Seek(int64(len(hdr)), io.SeekStart); err != nil {
		sf.f.Close()
		return fmt.Errorf("store: %w", err)
	}
	sf.size = int64(len(hdr))
	s.disk += sf.size
	s.files[sf.id] = sf
	s.active = sf
	return nil
}

// createSegment creates segment num, empty, with its directory entry durable.
func (s *Store) createSegment(num uint32) (*segFile, error) {
	f, err := s.createFile(num)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.maxNum = max(s.maxNum, num)
	return &segFile{id: s.newFileID(), num: num, f: f}, nil
}

// writeFull writes b at off and fsyncs.
func writeFull(f *os.File, b []byte, off int64) error {
	if err := f.Truncate(off); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, off); err != nil {
		return err
	}
	return f.Sync()
}

// dropTail handles a bad record at off: in the last segment it is a torn write and the file is
// truncated there; elsewhere the rest of the segment is dropped (and left for compaction).
func (s *Store) dropTail(sf *segFile, off int64, last bool, reason error) error {
	name := segName(sf.num)
	if !last {
		s.log.Warn("store: bad record, dropping the rest of the segment", "segment", name,
			"offset", off, "dropped_bytes", sf.size-off, "reason", reason)
		return nil
	}
	s.log.Warn("store: torn write at the end of the log, truncating", "segment", name,
		"offset", off, "dropped_bytes", sf.size-off, "reason", reason)
	if err := sf.f.Truncate(off); err != nil {
		return fmt.Errorf("store: truncate %s: %w", name, err)
	}
	if err := sf.f.Sync(); err != nil {
		return fmt.Errorf("store: truncate %s: %w", name, err)
	}
	sf.size = off
	return nil
}

// replaySegment applies the records of sf after its header.
func (s *Store) replaySegment(sf *segFile, last bool, rs *replayStats) error {
	fr := newFrameReader(sf.f, sf.size)
	if _, err := fr.next(); err != nil { // the header, checked by readHeader
		return s.dropTail(sf, 0, last, err)
	}
	for {
		fm, err := fr.next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = s.applyFrame(fr, fm, sf, rs)
			if err != nil {
				return fmt.Errorf("store: read %s: %w", segName(sf.num), err)
			}
			rs.records++
			continue
		}
		if !badFrame(err) {
			return fmt.Errorf("store: read %s: %w", segName(sf.num), err) // an I/O error
		}
		return s.dropTail(sf, fm.off, last, err)
	}
}

// applyFrame applies one record to the index and returns only I/O errors. A record that
// passed its checksum but cannot be decoded is logged and skipped (its frame is intact, so the
// records after it are still read); one that decodes but no longer applies is counted in rs.
func (s *Store) applyFrame(fr *frameReader, fm frame, sf *segFile, rs *replayStats) error {
	limit := int64(-1)
	if fm.typ == recMessage {
		limit = 8 // only the id: the rest is read lazily by Message
	}
	body, err := fr.body(fm, limit)
	if err != nil {
		return err
	}
	d := decoder{b: body}
	x := &s.idx
	var op error
	switch fm.typ {
	case recMessage:
		id := MsgID(d.u64("id"))
		if d.err == nil {
			op = x.addMessage(id, msgEntry{off: fm.off, file: sf.id, size: uint32(fm.size)})
		}
		d.b = nil
	case recSession:
		cid, expiry := s.clientID(&d), d.u32("expiry")
		subs := decodeSubs(&d)
		if d.finish("session") == nil {
			x.putSession(cid, expiry, subs)
		}
	case recDisconnected:
		cid, at := s.clientID(&d), int64(d.u64("at"))
		if d.finish("disconnected") == nil {
			op = x.disconnected(cid, at)
		}
	case recDeleteSession:
		cid := s.clientID(&d)
		if d.finish("delete session") == nil {
			op = x.deleteSession(cid)
		}
	case recEnqueue:
		cid := s.clientID(&d)
		q := decodeQueued(&d)
		if d.finish("enqueue") == nil {
			op = x.enqueue(cid, q)
		}
	case recInflight:
		cid, msg, pid := s.clientID(&d), MsgID(d.u64("msg")), d.u16("packet id")
		rel := decodeBool(&d, "released")
		if d.finish("inflight") == nil {
			op = x.setInflight(cid, msg, pid, rel)
		}
	case recDequeue:
		cid, msg := s.clientID(&d), MsgID(d.u64("msg"))
		if d.finish("dequeue") == nil {
			op = x.dequeue(cid, msg)
		}
	case recAddInbound, recRemoveInbound:
		cid, pid := s.clientID(&d), d.u16("packet id")
		if d.finish("inbound") == nil {
			if fm.typ == recAddInbound {
				op = x.addInbound(cid, pid)
			} else {
				op = x.removeInbound(cid, pid)
			}
		}
	case recSetRetained:
		topic, msg := d.str("topic"), MsgID(d.u64("msg"))
		if d.finish("set retained") == nil {
			op = x.setRetained(topic, msg)
		}
	case recClearRetained:
		topic := d.str("topic")
		if d.finish("clear retained") == nil {
			op = x.clearRetained(topic)
		}
	case recSetWill:
		cid := s.clientID(&d)
		w := decodeWill(&d)
		if d.finish("will") == nil {
			op = x.setWill(cid, w)
		}
	default:
		d.err = fmt.Errorf("unexpected %s record (type %d): %w", fm.typ, byte(fm.typ), ErrCorrupt)
	}
	if d.err != nil {
		s.log.Warn("store: skipping an undecodable record", "segment", segName(sf.num),
			"offset", fm.off, "type", byte(fm.typ), "reason", d.err)
		return nil
	}
	if op != nil && op != errNoop {
		rs.skipped++
		if rs.firstErr == nil {
			rs.firstErr = fmt.Errorf("%s record at %s:%d: %w", fm.typ, segName(sf.num), fm.off, op)
		}
	}
	return nil
}

// clientID reads a client id, reusing the string of a known session (no allocation per
// record during replay).
func (s *Store) clientID(d *decoder) string {
	b := d.bytes("client id", maxString)
	if ss := s.idx.sessions[string(b)]; ss != nil {
		return ss.id
	}
	return string(b)
}
