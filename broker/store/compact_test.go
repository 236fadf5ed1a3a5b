package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// churn puts, queues and dequeues n messages for session cid, leaving dead bytes.
func churn(t *testing.T, s *Store, cid string, n int) {
	t.Helper()
	for i := range n {
		id, err := s.PutMessage(Message{Topic: "churn", Payload: payload(64, fmt.Sprint(i)), QoS: 1})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue(cid, Queued{Msg: id, QoS: 1}))
		require.NoError(t, s.SetInflight(cid, id, uint16(i+1), false))
		require.NoError(t, s.Dequeue(cid, id))
	}
}

func TestCompaction(t *testing.T) {
	opts := Options{Dir: t.TempDir(), CompactMinBytes: 1 << 40} // explicit compactions only
	s, _ := open(t, opts)
	_, msgs := buildRich(t, s)
	churn(t, s, "churn", 2000)
	require.NoError(t, s.Sync())
	before := s.Stats()
	want := liveState(s)

	require.NoError(t, s.Compact())
	after := s.Stats()
	require.Equal(t, want, liveState(s))
	requireMessages(t, s, msgs)
	require.Equal(t, int64(1), after.Compactions)
	require.Less(t, after.DiskBytes, before.DiskBytes/10)
	// The live byte count is exact: the compacted segment is the live bytes, plus the header
	// of the new active segment.
	require.Equal(t, after.LiveBytes+headerSize, after.DiskBytes)

	s, st := reopen(t, s, opts)
	require.Equal(t, want, st)
	requireMessages(t, s, msgs)
	require.Len(t, segments(t, opts.Dir), 2, "the compacted segment and the active one")
	require.Equal(t, s.Stats().DiskBytes, dirBytes(t, opts.Dir))
	require.Less(t, dirBytes(t, opts.Dir), before.DiskBytes/10)

	// Compacting the compacted store again keeps everything too.
	require.NoError(t, s.Compact())
	s, st = reopen(t, s, opts)
	require.Equal(t, want, st)
	requireMessages(t, s, msgs)
}

// Compactions triggered by dead bytes run on their own and keep the disk bounded.
func TestAutoCompaction(t *testing.T) {
	opts := Options{Dir: t.TempDir(), CompactMinBytes: 8 << 10, SegmentSize: 16 << 10}
	s, _ := open(t, opts)
	for i := 0; i < 20000 && s.Stats().Compactions < 3; i++ {
		churn(t, s, "c", 10)
		require.NoError(t, s.Sync())
	}
	st := s.Stats()
	require.GreaterOrEqual(t, st.Compactions, int64(3))
	require.Less(t, st.DiskBytes, int64(200<<10))
}

// Mutations and reads during compactions are preserved (run with -race).
func TestCompactionConcurrent(t *testing.T) {
	opts := Options{Dir: t.TempDir(), CompactMinBytes: 1 << 40, SegmentSize: 32 << 10}
	s, _ := open(t, opts)
	const workers, iters = 4, 600
	models := make([][]MsgID, workers)
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cid := fmt.Sprintf("w%d", w)
			var q []MsgID
			err := func() error {
				for i := range iters {
					p := fmt.Appendf(nil, "%s-%d", cid, i)
					id, err := s.PutMessage(Message{Topic: cid, Payload: p, QoS: 1})
					if err != nil {
						return err
					}
					if err := s.Enqueue(cid, Queued{Msg: id, QoS: 1}); err != nil {
						return err
					}
					q = append(q, id)
					if i%2 == 1 {
						if err := s.Dequeue(cid, q[0]); err != nil {
							return err
						}
						q = q[1:]
					}
					if i%7 == 0 {
						if err := s.SetRetained(cid, id); err != nil {
							return err
						}
					}
					// Read back an older queued message while compactions move it.
					old := q[len(q)/2]
					m, err := s.Message(old)
					if err != nil {
						return fmt.Errorf("message %d: %w", old, err)
					}
					if !strings.HasPrefix(string(m.Payload), cid+"-") {
						return fmt.Errorf("message %d: payload %q", old, m.Payload)
					}
					if i%10 == 0 {
						if err := s.Sync(); err != nil {
							return err
						}
					}
				}
				return nil
			}()
			models[w] = q
			errs <- err
		}()
	}
	var compactions int
	go func() {
		for !done.Load() {
			if err := s.Compact(); err != nil {
				errs <- err
				return
			}
			compactions++
		}
		errs <- nil
	}()
	wg.Wait()
	done.Store(true)
	for range workers + 1 {
		require.NoError(t, <-errs)
	}
	require.GreaterOrEqual(t, compactions, 2)
	check := func(st *State) {
		require.Len(t, st.Sessions, workers)
		for _, ss := range st.Sessions {
			var w int
			_, err := fmt.Sscanf(ss.ClientID, "w%d", &w)
			require.NoError(t, err)
			var got []MsgID
			for _, q := range ss.Queue {
				got = append(got, q.Msg)
			}
			require.Equal(t, models[w], got)
		}
	}
	check(liveState(s))
	s, st := reopen(t, s, opts)
	check(st)
	for _, ss := range st.Sessions {
		for _, q := range ss.Queue {
			m, err := s.Message(q.Msg)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(string(m.Payload), ss.ClientID+"-"))
		}
	}
}

// A crash at every step of a compaction (simulated by copying the directory at that point)
// opens to the same state.
func TestCompactionCrashPoints(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	copies := map[string][]string{}
	var hookErr error
	opts := Options{Dir: dir, CompactMinBytes: 1 << 40, SegmentSize: 4 << 10}
	opts.hook = func(point string) error {
		dst, err := os.MkdirTemp(t.TempDir(), point)
		if err == nil {
			err = copyFiles(dir, dst)
		}
		mu.Lock()
		defer mu.Unlock()
		hookErr = errors.Join(hookErr, err)
		copies[point] = append(copies[point], dst)
		return nil
	}
	s, _ := open(t, opts)
	_, msgs := buildRich(t, s)
	for range 30 {
		churn(t, s, "churn", 10)
		require.NoError(t, s.Sync()) // each Sync is a writer round, which may rotate
	}
	want := liveState(s)
	require.Greater(t, len(segments(t, dir)), 3)
	require.NoError(t, s.Compact())
	require.NoError(t, s.Close())
	require.NoError(t, hookErr)
	for _, p := range []string{"begin", "written", "renamed", "swapped", "removed"} {
		require.NotEmpty(t, copies[p], p)
	}

	// A crash while the .compact file was being written: any prefix of it.
	written := copies["written"][0]
	tmps, err := filepath.Glob(filepath.Join(written, "*"+compactSuffix))
	require.NoError(t, err)
	require.Len(t, tmps, 1)
	fi, err := os.Stat(tmps[0])
	require.NoError(t, err)
	for _, cut := range []int64{0, headerSize / 2, fi.Size() / 3, fi.Size() - 1} {
		dst := copyDir(t, written)
		require.NoError(t, os.Truncate(filepath.Join(dst, filepath.Base(tmps[0])), cut))
		copies["writing"] = append(copies["writing"], dst)
	}

	for point, dirs := range copies {
		for _, d := range dirs {
			var lb logBuf
			s, st, err := Open(Options{Dir: d, Logger: lb.logger()})
			require.NoError(t, err, point)
			require.Equal(t, want, st, point)
			requireMessages(t, s, msgs)
			left, err := filepath.Glob(filepath.Join(d, "*"+compactSuffix))
			require.NoError(t, err)
			require.Empty(t, left, point)
			if point == "renamed" || point == "swapped" {
				require.Contains(t, lb.String(), "finished an interrupted compaction", point)
			}
			require.NoError(t, s.Close())
		}
	}
}

// A compaction that fails before its rename leaves the store as it was and working.
func TestCompactionAbort(t *testing.T) {
	dir := t.TempDir()
	var failAt atomic.Value
	failAt.Store("")
	boom := errors.New("injected")
	opts := Options{Dir: dir, CompactMinBytes: 1 << 40}
	opts.hook = func(point string) error {
		if failAt.Load() == point {
			return boom
		}
		return nil
	}
	s, _ := open(t, opts)
	_, msgs := buildRich(t, s)
	churn(t, s, "churn", 100)
	want := liveState(s)
	for _, p := range []string{"begin", "written"} {
		failAt.Store(p)
		require.ErrorIs(t, s.Compact(), boom)
		left, err := filepath.Glob(filepath.Join(dir, "*"+compactSuffix))
		require.NoError(t, err)
		require.Empty(t, left)
		require.Equal(t, want, liveState(s))
		requireMessages(t, s, msgs)
	}
	failAt.Store("")
	churn(t, s, "churn", 10)
	require.NoError(t, s.Compact())
	_, st := reopen(t, s, opts)
	require.Equal(t, want, st)
}

// A message put and never referenced survives one compaction (the broker is about to
// reference it) and is dropped by the second; Open drops it at once.
func TestUnreferencedMessages(t *testing.T) {
	opts := Options{Dir: t.TempDir(), CompactMinBytes: 1 << 40, orphanGrace: -1}
	s, _ := open(t, opts)
	orphan, err := s.PutMessage(Message{Topic: "o", Payload: []byte("orphan")})
	require.NoError(t, err)
	require.NoError(t, s.Compact())
	_, err = s.Message(orphan)
	require.NoError(t, err)
	require.NoError(t, s.Compact())
	_, err = s.Message(orphan)
	require.ErrorIs(t, err, ErrNotFound)

	orphan, err = s.PutMessage(Message{Topic: "o", Payload: []byte("orphan")})
	require.NoError(t, err)
	kept, err := s.PutMessage(Message{Topic: "k", Payload: []byte("kept")})
	require.NoError(t, err)
	require.NoError(t, s.Compact()) // kept is referenced only after this snapshot
	require.NoError(t, s.SetRetained("k", kept))
	s, st := reopen(t, s, opts)
	_, err = s.Message(orphan)
	require.ErrorIs(t, err, ErrNotFound)
	require.Equal(t, map[string]MsgID{"k": kept}, st.Retained)
	m, err := s.Message(kept)
	require.NoError(t, err)
	require.Equal(t, "kept", string(m.Payload))
}

func TestMaxBytes(t *testing.T) {
	var lb logBuf
	opts := Options{Dir: t.TempDir(), MaxBytes: 64 << 10, CompactMinBytes: 1 << 40, Logger: lb.logger()}
	s, _ := open(t, opts)
	var ids []MsgID
	var full error
	for i := 0; i < 10000 && full == nil; i++ {
		id, err := s.PutMessage(Message{Topic: "t", Payload: payload(100, "m"), QoS: 1})
		if err == nil {
			err = s.Enqueue("c", Queued{Msg: id, QoS: 1})
			if err == nil {
				ids = append(ids, id)
			}
		}
		full = err
	}
	require.ErrorIs(t, full, ErrFull)
	require.NoError(t, s.Sync())
	st := s.Stats()
	require.Positive(t, st.Refused)
	require.LessOrEqual(t, st.DiskBytes, opts.MaxBytes)
	require.Contains(t, lb.String(), "full, refusing appends")
	_, err := s.PutMessage(Message{Topic: "t", Payload: payload(100, "m")})
	require.ErrorIs(t, err, ErrFull, "still full: nothing to compact")
	require.Equal(t, int64(0), s.Stats().Compactions)

	// Removals are never refused; afterwards appends succeed again (after a compaction).
	for _, id := range ids {
		require.NoError(t, s.Dequeue("c", id))
	}
	id, err := s.PutMessage(Message{Topic: "t", Payload: payload(100, "again"), QoS: 1})
	require.NoError(t, err)
	require.NoError(t, s.Enqueue("c", Queued{Msg: id, QoS: 1}))
	require.NoError(t, s.Sync())
	require.Positive(t, s.Stats().Compactions)
	require.LessOrEqual(t, s.Stats().DiskBytes, opts.MaxBytes)
	_, st2 := reopen(t, s, opts)
	require.Equal(t, []Queued{{Msg: id, QoS: 1}}, st2.Sessions[0].Queue)
}

// Close during a compaction abandons it promptly and leaves a store that opens.
func TestCloseDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	started := make(chan struct{})
	var s *Store
	opts := Options{Dir: dir, CompactMinBytes: 1 << 40}
	opts.hook = func(point string) error {
		if point == "begin" {
			close(started)
			for deadline := time.Now().Add(10 * time.Second); !s.stopping() && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // until Close has begun
			}
		}
		return nil
	}
	s, _, err := Open(opts)
	require.NoError(t, err)
	_, msgs := buildRich(t, s)
	churn(t, s, "churn", 100)
	want := liveState(s)
	compactErr := make(chan error, 1)
	go func() { compactErr <- s.Compact() }()
	<-started
	require.NoError(t, s.Close())
	require.Error(t, <-compactErr)
	require.Equal(t, int64(0), s.Stats().Compactions)
	left, err := filepath.Glob(filepath.Join(dir, "*"+compactSuffix))
	require.NoError(t, err)
	require.Empty(t, left)
	s, st := open(t, Options{Dir: dir})
	require.Equal(t, want, st)
	requireMessages(t, s, msgs)
}

// Open keeps locations, not payloads: the heap after Open does not grow with payload size.
func TestOpenDoesNotLoadPayloads(t *testing.T) {
	opts := Options{Dir: t.TempDir(), Fsync: FsyncInterval}
	s, _ := open(t, opts)
	const n, size = 2000, 8 << 10 // 16 MiB of payloads
	for i := range n {
		id, err := s.PutMessage(Message{Topic: "t", Payload: payload(size, fmt.Sprint(i)), QoS: 1})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue("c", Queued{Msg: id, QoS: 1}))
	}
	require.NoError(t, s.Close())
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	s, st := open(t, opts)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	require.Len(t, st.Sessions[0].Queue, n)
	grown := int64(ms.HeapAlloc) - int64(base)
	require.Less(t, grown, int64(2<<20), "heap grew by %d bytes", grown)
	m, err := s.Message(st.Sessions[0].Queue[n-1].Msg)
	require.NoError(t, err)
	require.Len(t, m.Payload, size)
}

// A message the broker is about to reference survives however many compactions run before it
// does, within the grace period (a busy Pi may compact twice in between).
func TestFreshMessageSurvivesCompactions(t *testing.T) {
	opts := Options{Dir: t.TempDir(), CompactMinBytes: 1 << 40}
	s, _ := open(t, opts)
	id, err := s.PutMessage(Message{Topic: "t", Payload: []byte("p"), QoS: 1})
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, s.Compact())
	}
	require.NoError(t, s.Enqueue("c", Queued{Msg: id, QoS: 1}))
	m, err := s.Message(id)
	require.NoError(t, err)
	require.Equal(t, "p", string(m.Payload))
}
