package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tornSetup writes a store in which each of the last mutations is exactly one record, and
// returns the state before each of them (states[i] = before the i-th last record).
func tornSetup(t *testing.T, dir string) []*State {
	t.Helper()
	s, _ := open(t, Options{Dir: dir})
	_, _ = buildRich(t, s)
	var states []*State
	step := func(f func() error) {
		before := s.Stats().Records
		states = append(states, liveState(s))
		require.NoError(t, f())
		require.Equal(t, before+1, s.Stats().Records, "one record per step")
	}
	var id MsgID
	step(func() (err error) {
		id, err = s.PutMessage(Message{Topic: "tail", Payload: payload(100, "tail"), QoS: 1})
		return err
	})
	step(func() error { return s.Enqueue("alice", Queued{Msg: id, QoS: 1}) })
	step(func() error { return s.SetInflight("alice", id, 99, false) })
	step(func() error { return s.AddInbound("bob", 77) })
	step(func() error {
		return s.SetWill("alice", &Will{Msg: Message{Topic: "w", Payload: []byte("will")}, Due: 9})
	})
	states = append(states, liveState(s))
	require.NoError(t, s.Close())
	return states
}

// Cutting the last segment at every byte offset of its last records opens, truncates, and
// yields exactly the state before the torn record.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	states := tornSetup(t, dir)
	segs := segments(t, dir)
	require.Len(t, segs, 1)
	offs, size := frameOffsets(t, segs[0])
	last := len(states) - 1 // records in the tail we cut into
	tail := offs[len(offs)-last:]
	cuts := 0
	for r, start := range tail {
		endOff := size
		if r+1 < len(tail) {
			endOff = tail[r+1]
		}
		for cut := start; cut < endOff; cut++ {
			cdir := copyDir(t, dir)
			require.NoError(t, os.Truncate(filepath.Join(cdir, filepath.Base(segs[0])), cut))
			var lb logBuf
			s, st, err := Open(Options{Dir: cdir, Logger: lb.logger()})
			require.NoError(t, err, "cut at %d", cut)
			require.Equal(t, states[r], st, "cut at %d (record %d at %d)", cut, r, start)
			if cut > start {
				require.Contains(t, lb.String(), "torn write", "cut at %d", cut)
			}
			// The store goes on appending after the truncation.
			id, err := s.PutMessage(Message{Topic: "after", Payload: []byte("x")})
			require.NoError(t, err)
			require.NoError(t, s.Enqueue("after", Queued{Msg: id}))
			require.NoError(t, s.Close())
			s, st, err = Open(Options{Dir: cdir})
			require.NoError(t, err)
			require.Len(t, st.Sessions, len(states[r].Sessions)+1)
			m, err := s.Message(id)
			require.NoError(t, err)
			require.Equal(t, "after", m.Topic)
			require.NoError(t, s.Close())
			require.NoError(t, os.RemoveAll(cdir))
			cuts++
		}
	}
	require.Greater(t, cuts, 150)
	// Cutting exactly at the end changes nothing.
	_, st := open(t, Options{Dir: dir})
	require.Equal(t, states[len(states)-1], st)
}

// A torn header (a crash right after the segment was created) is repaired.
func TestTornHeader(t *testing.T) {
	for _, size := range []int64{0, 1, headerSize - 1} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, segName(1)), appendHeader(nil, kindLog, 1)[:size], 0o600))
		s, st, err := Open(Options{Dir: dir})
		require.NoError(t, err)
		require.Empty(t, st.Sessions)
		id, err := s.PutMessage(Message{Topic: "t"})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
		require.NoError(t, s.Close())
		s, st, err = Open(Options{Dir: dir})
		require.NoError(t, err)
		require.Len(t, st.Sessions, 1)
		require.NoError(t, s.Close())
	}
}

// multiSegment writes a store spread over several segments (no compaction).
func multiSegment(t *testing.T, dir string) Options {
	t.Helper()
	opts := Options{Dir: dir, SegmentSize: 2 << 10, CompactMinBytes: 1 << 40}
	s, _ := open(t, opts)
	for i := range 200 {
		cid := fmt.Sprintf("c%d", i%5)
		id, err := s.PutMessage(Message{Topic: "t", Payload: payload(40, fmt.Sprint(i)), QoS: 1})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue(cid, Queued{Msg: id, QoS: 1}))
		if i%10 == 0 {
			require.NoError(t, s.PutSession(cid, uint32(i), []Subscription{{Filter: "t", QoS: 1}}))
		}
		require.NoError(t, s.Sync())
	}
	require.NoError(t, s.Close())
	require.Greater(t, len(segments(t, dir)), 3)
	return opts
}

// A garbled record in the middle of an older segment drops the rest of that segment (logged)
// and replay goes on with the next segments; one in the last segment truncates it.
func TestGarbledMiddle(t *testing.T) {
	dir := t.TempDir()
	opts := multiSegment(t, dir)
	s, full := open(t, opts)
	require.NoError(t, s.Close())
	segs := segments(t, dir)

	// What the dropped part of segment 2 holds.
	offs, _ := frameOffsets(t, segs[1])
	mid := offs[len(offs)/2]
	lostMsg := map[MsgID]bool{}
	lostEnq := map[string]bool{}
	f, err := os.Open(segs[1])
	require.NoError(t, err)
	fi, err := f.Stat()
	require.NoError(t, err)
	fr := newFrameReader(f, fi.Size())
	for {
		fm, err := fr.next()
		if err != nil {
			break
		}
		if fm.off < mid {
			continue
		}
		d := decoder{b: fm.raw[frameHeader:]}
		switch fm.typ {
		case recMessage:
			lostMsg[MsgID(d.u64("id"))] = true
		case recEnqueue:
			cid := d.str("cid")
			lostEnq[fmt.Sprint(cid, MsgID(d.u64("msg")))] = true
		}
	}
	require.NoError(t, f.Close())
	require.NotEmpty(t, lostMsg)

	flip(t, segs[1], mid+frameHeader+1)
	var lb logBuf
	o := opts
	o.Logger = lb.logger()
	s, st := open(t, o)
	require.Contains(t, lb.String(), "dropping the rest of the segment")
	require.Contains(t, lb.String(), segName(2))
	want := 0
	for _, ss := range full.Sessions {
		for _, q := range ss.Queue {
			if !lostMsg[q.Msg] && !lostEnq[fmt.Sprint(ss.ClientID, q.Msg)] {
				want++
			}
		}
	}
	require.Less(t, want, countQueued(full))
	require.Equal(t, want, countQueued(st))
	for _, ss := range st.Sessions {
		for _, q := range ss.Queue {
			require.False(t, lostMsg[q.Msg])
			_, err := s.Message(q.Msg)
			require.NoError(t, err)
		}
	}
	require.NoError(t, s.Close())
	fi2, err := os.Stat(segs[1])
	require.NoError(t, err)
	require.Equal(t, fi.Size(), fi2.Size(), "an older segment is not truncated")

	// In the last segment the bad record is taken for a torn write.
	lastSeg := segs[len(segs)-1]
	offs, size := frameOffsets(t, lastSeg)
	require.Greater(t, len(offs), 2)
	flip(t, lastSeg, offs[2]+frameHeader)
	lb = logBuf{}
	s, _ = open(t, o)
	require.Contains(t, lb.String(), "torn write")
	require.NoError(t, s.Close())
	fi2, err = os.Stat(lastSeg)
	require.NoError(t, err)
	require.Less(t, fi2.Size(), size)
}

// flip xors the byte at off of path.
func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0x5a
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

func countQueued(st *State) int {
	n := 0
	for _, ss := range st.Sessions {
		n += len(ss.Queue)
	}
	return n
}

// Random garbling and truncation of any file never makes Open fail or panic, and the store
// opened afterwards works.
func TestGarbledRandom(t *testing.T) {
	base := t.TempDir()
	opts := multiSegment(t, base)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for i := range 40 {
		dir := copyDir(t, base)
		segs := segments(t, dir)
		for range 1 + rng.IntN(4) {
			p := segs[rng.IntN(len(segs))]
			fi, err := os.Stat(p)
			require.NoError(t, err)
			if fi.Size() == 0 {
				continue
			}
			if rng.IntN(4) == 0 {
				require.NoError(t, os.Truncate(p, rng.Int64N(fi.Size())))
			} else {
				flip(t, p, rng.Int64N(fi.Size()))
			}
		}
		var lb logBuf
		o := opts
		o.Dir, o.Logger = dir, lb.logger()
		s, st, err := Open(o)
		require.NoError(t, err, "round %d", i)
		for _, ss := range st.Sessions {
			for _, q := range ss.Queue {
				_, err := s.Message(q.Msg)
				require.NoError(t, err) // what replay kept is readable
			}
		}
		id, err := s.PutMessage(Message{Topic: "t", Payload: []byte("new")})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue("new-session", Queued{Msg: id}))
		require.NoError(t, s.Compact())
		require.NoError(t, s.Close())
		s, st2, err := Open(o)
		require.NoError(t, err)
		require.Equal(t, countQueued(st)+1, countQueued(st2), "round %d", i)
		require.NoError(t, s.Close())
		require.NoError(t, os.RemoveAll(dir))
	}
}
