package store

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild() // the re-executed writer of the crash tests: no tests, no goleak
		return
	}
	goleak.VerifyTestMain(m)
}

// logBuf collects what a store logs.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// open opens a store in dir and closes it at the end of the test unless already closed.
func open(t testing.TB, opts Options) (*Store, *State) {
	t.Helper()
	s, st, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, st
}

// reopen closes s and opens the same directory again.
func reopen(t testing.TB, s *Store, opts Options) (*Store, *State) {
	t.Helper()
	require.NoError(t, s.Close())
	return open(t, opts)
}

// liveState is the store's current state as Open would return it.
func liveState(s *Store) *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idx.state()
}

// copyDir copies the files of src (not the LOCK) into a new temporary directory, as a crash
// at this instant would leave them (kill -9: what was written is in the page cache).
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, copyFiles(src, dst))
	return dst
}

// copyFiles is copyDir for goroutines that may not call t.FailNow.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "LOCK" || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if os.IsNotExist(err) {
			continue // removed meanwhile
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// segments lists the segment files of dir in order.
func segments(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if _, ok := parseSegName(e.Name()); ok {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	for _, p := range segments(t, dir) {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}

// frameOffsets returns the offsets of the frames of a segment file and its size.
func frameOffsets(t testing.TB, path string) ([]int64, int64) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	fr := newFrameReader(f, fi.Size())
	var offs []int64
	for {
		fm, err := fr.next()
		if err == io.EOF {
			return offs, fi.Size()
		}
		require.NoError(t, err)
		offs = append(offs, fm.off)
	}
}

func payload(n int, seed string) []byte {
	return []byte(strings.Repeat(seed, n/len(seed)+1)[:n])
}
