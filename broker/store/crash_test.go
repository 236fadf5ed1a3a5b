package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The crash tests re-execute the test binary as a writer (crashChild) and kill it with SIGKILL
// at random moments: after each Sync returns the child prints what it acknowledged, and the
// parent checks that every acknowledged message survived and nothing is corrupt.
const (
	crashChildEnv = "STORE_CRASH_CHILD"
	crashDirEnv   = "STORE_CRASH_DIR"
	crashModeEnv  = "STORE_CRASH_COMPACT"

	crashWorkers = 4
	crashKeep    = 20 // queue length each worker keeps: older entries are dequeued
	crashPayload = 64
)

func crashOptions(dir string, compact bool) Options {
	o := Options{Dir: dir, Fsync: FsyncAlways}
	if compact {
		o.SegmentSize = 8 << 10
		o.CompactMinBytes = 16 << 10
	}
	return o
}

func crashTopic(w int) string { return "w/" + strconv.Itoa(w) }

// crashMsg is the payload of worker w's message number seq.
func crashMsg(w, seq int) []byte {
	p := fmt.Appendf(nil, "%d:%d:", w, seq)
	for len(p) < crashPayload {
		p = append(p, byte('a'+(seq+len(p))%26))
	}
	return p
}

func parseCrashMsg(p []byte) (w, seq int, ok bool) {
	parts := strings.SplitN(string(p), ":", 3)
	if len(parts) != 3 {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(parts[0])
	seq, err2 := strconv.Atoi(parts[1])
	return w, seq, err1 == nil && err2 == nil && string(crashMsg(w, seq)) == string(p)
}

// crashChild is the writer run in the child process. It is bounded in time and count.
func crashChild() {
	compact := os.Getenv(crashModeEnv) != ""
	s, st, err := Open(crashOptions(os.Getenv(crashDirEnv), compact))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := range crashWorkers {
		cid := "worker-" + strconv.Itoa(w)
		var fifo []MsgID
		next := 1
		for _, ss := range st.Sessions {
			if ss.ClientID != cid {
				continue
			}
			for _, q := range ss.Queue {
				fifo = append(fifo, q.Msg)
			}
			if len(fifo) > 0 {
				m, err := s.Message(fifo[len(fifo)-1])
				if err != nil {
					fmt.Fprintln(os.Stderr, "message:", err)
					return
				}
				_, seq, _ := parseCrashMsg(m.Payload)
				next = seq + 1
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := next; seq < next+200000 && time.Now().Before(deadline); seq++ {
				id, err := s.PutMessage(Message{Topic: crashTopic(w), Payload: crashMsg(w, seq), QoS: 1})
				if err == nil {
					err = s.Enqueue(cid, Queued{Msg: id, QoS: 1})
				}
				if err == nil && seq%3 == 0 {
					err = s.SetInflight(cid, id, uint16(seq), seq%2 == 0)
				}
				fifo = append(fifo, id)
				for err == nil && len(fifo) > crashKeep {
					err = s.Dequeue(cid, fifo[0])
					fifo = fifo[1:]
				}
				if err == nil {
					err = s.SetRetained(crashTopic(w), id)
				}
				if err == nil {
					err = s.Sync()
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					return
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %d %d\n", w, seq, s.Stats().Compactions)
				out.Unlock()
			}
		}()
	}
	wg.Wait()
	_ = s.Close()
}

// crashRound runs the child once, kills it at a random moment and returns the highest
// acknowledged sequence per worker and the compactions the child reported.
func crashRound(t *testing.T, dir string, compact bool, rng *rand.Rand, acked []int) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDirEnv+"="+dir)
	if compact {
		cmd.Env = append(cmd.Env, crashModeEnv+"=1")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	// Kill after a random number of acks, or (one round in four) at a random instant that may
	// fall inside Open's replay.
	killAfter := 1 + rng.IntN(1500)
	if rng.IntN(4) == 0 {
		early := time.AfterFunc(time.Duration(rng.IntN(30))*time.Millisecond, func() { _ = cmd.Process.Kill() })
		defer early.Stop()
	}
	var compactions int64
	sc := bufio.NewScanner(stdout)
	n := 0
	timeout := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer timeout.Stop()
	for sc.Scan() {
		var w, seq int
		var c int64
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d %d", &w, &seq, &c); err != nil {
			continue
		}
		acked[w] = max(acked[w], seq)
		compactions = max(compactions, c)
		if n++; n == killAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	err = cmd.Wait()
	require.Error(t, err, "the child must have been killed; stderr: %s", stderr.String())
	require.NotContains(t, stderr.String(), "open:", "the child could not open the store")
	return compactions
}

// verifyCrash opens dir and checks that every acknowledged message is there, readable, in
// order, and that the retained message of each worker is one of the newest.
func verifyCrash(t *testing.T, dir string, compact bool, acked []int) {
	t.Helper()
	s, st, err := Open(crashOptions(dir, compact))
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	for w := range crashWorkers {
		if acked[w] == 0 {
			continue
		}
		cid := "worker-" + strconv.Itoa(w)
		var queue []Queued
		for _, ss := range st.Sessions {
			if ss.ClientID == cid {
				queue = ss.Queue
			}
		}
		var seqs []int
		for _, q := range queue {
			m, err := s.Message(q.Msg)
			require.NoError(t, err)
			mw, seq, ok := parseCrashMsg(m.Payload)
			require.True(t, ok, "garbled payload %q", m.Payload)
			require.Equal(t, w, mw)
			require.Equal(t, crashTopic(w), m.Topic)
			if seq%3 == 0 && q.PacketID != 0 {
				require.Equal(t, uint16(seq), q.PacketID)
			}
			seqs = append(seqs, seq)
		}
		require.NotEmpty(t, seqs, "worker %d acked %d", w, acked[w])
		for i := 1; i < len(seqs); i++ {
			require.Equal(t, seqs[i-1]+1, seqs[i], "worker %d: queue not contiguous: %v", w, seqs)
		}
		last := seqs[len(seqs)-1]
		// Everything acknowledged is there; at most the one or two unacknowledged
		// iterations after it may be too.
		require.GreaterOrEqual(t, last, acked[w], "worker %d lost acknowledged messages: %v", w, seqs)
		require.LessOrEqual(t, last, acked[w]+2)
		require.LessOrEqual(t, seqs[0], max(1, acked[w]-crashKeep+4), "worker %d: %v", w, seqs)
		rid, ok := st.Retained[crashTopic(w)]
		require.True(t, ok)
		m, err := s.Message(rid)
		require.NoError(t, err)
		_, rseq, ok := parseCrashMsg(m.Payload)
		require.True(t, ok)
		require.GreaterOrEqual(t, rseq, acked[w])
	}
}

func testCrash(t *testing.T, compact bool) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := make([]int, crashWorkers)
	var compactions int64
	start := time.Now()
	for round := 0; round < 12 && time.Since(start) < 60*time.Second; round++ {
		compactions += crashRound(t, dir, compact, rng, acked)
		verifyCrash(t, dir, compact, acked)
	}
	t.Logf("acked %v, compactions seen %d, took %v", acked, compactions, time.Since(start))
	require.Positive(t, acked[0], "the child acknowledged nothing")
	if compact {
		require.Positive(t, compactions, "no compaction ran in the child")
	}
}

func TestCrashKill(t *testing.T)           { testCrash(t, false) }
func TestCrashKillCompaction(t *testing.T) { testCrash(t, true) }
