package broker

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// crashChildEnv names the store directory of a child broker started by TestCrashRecovery.
const crashChildEnv = "SURGEMQ_CRASH_CHILD_DIR"

// runCrashChild runs a broker with disk persistence (fsync always) on a loopback port,
// prints the address, and serves until killed.
func runCrashChild(dir string) int {
	s, err := New(Options{SysInterval: -1, MaxQueuedMessages: -1, Persistence: &store.Options{Dir: dir, Fsync: store.FsyncAlways},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(l.Addr().String())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); s.Shutdown(context.Background()) }()
	s.Serve(l)
	return 0
}

// crashBroker is a child-process broker.
type crashBroker struct {
	cmd  *exec.Cmd
	addr string
	once sync.Once
}

func startCrashBroker(t *testing.T, dir string) *crashBroker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "child broker did not start")
	b := &crashBroker{cmd: cmd, addr: strings.TrimSpace(line)}
	t.Cleanup(b.kill)
	return b
}

// kill ends the child with SIGKILL: no shutdown, no flush.
func (b *crashBroker) kill() {
	b.once.Do(func() {
		b.cmd.Process.Signal(syscall.SIGKILL)
		b.cmd.Wait()
	})
}

// A broker killed with SIGKILL at random moments loses no acknowledged QoS 1 or QoS 2 message,
// delivers QoS 2 exactly once, and keeps subscriptions and retained messages.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a broker several times")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	b := startCrashBroker(t, dir)

	// A persistent subscriber subscribes once and goes away.
	sub := dialRawAddr(t, b.addr)
	sub.connect(&packet.Connect{ClientID: "crash-sub", CleanStart: false})
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "crash/#", QoS: 2}}})
	require.Equal(t, &packet.Suback{PacketID: 1, ReasonCodes: []byte{2}}, sub.read())
	sub.nc.Close()

	acked := map[string]packet.QoS{} // payload → QoS, acknowledged by the broker
	seen := map[string]int{}         // payload → deliveries to the subscriber
	held := map[uint16]bool{}        // the subscriber's session state: QoS 2 ids awaiting PUBREL
	var kept []string                // retained topics the broker acknowledged (a kill may come first)
	const rounds = 4
	for round := range rounds {
		// Publish until the broker is killed at a random moment.
		pub := dialRawAddr(t, b.addr)
		pub.connect(&packet.Connect{ClientID: "crash-pub", CleanStart: true})
		killAt := time.Duration(20+rng.IntN(200)) * time.Millisecond
		killed := time.AfterFunc(killAt, b.kill)
		if pubUntilDead(t, pub, round, acked) {
			kept = append(kept, fmt.Sprintf("kept/%d", round))
		}
		if !killed.Stop() {
			b.kill() // waits for the timer's kill to finish
		}
		b.kill()

		b = startCrashBroker(t, dir)
		drain(t, b.addr, round, seen, held)
	}
	require.NotEmpty(t, acked)
	for payload, qos := range acked {
		require.GreaterOrEqual(t, seen[payload], 1, "acknowledged %s lost", payload)
		if qos == 2 {
			require.Equal(t, 1, seen[payload], "QoS 2 %s delivered %d times", payload, seen[payload])
		}
	}
	// Every acknowledged retained message survived. Retained messages come in topic order, so
	// a marker retained now comes last.
	r := dialRawAddr(t, b.addr)
	r.connect(&packet.Connect{ClientID: "late", CleanStart: true})
	r.send(&packet.Publish{QoS: 1, PacketID: 1, Retain: true, Topic: "kept/zz-marker", Payload: []byte("r")})
	require.Equal(t, &packet.Ack{Kind: packet.PUBACK, PacketID: 1}, r.read())
	r.send(&packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: "kept/#", QoS: 1}}})
	require.IsType(t, &packet.Suback{}, r.read())
	var got []string
	for len(got) == 0 || got[len(got)-1] != "kept/zz-marker" {
		p := r.read().(*packet.Publish)
		require.True(t, p.Retain)
		got = append(got, p.Topic)
		if p.QoS > 0 {
			r.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
		}
	}
	for _, k := range kept {
		require.Contains(t, got, k, "acknowledged retained message lost")
	}
	t.Logf("%d acknowledged messages over %d kills", len(acked), rounds)
}

// pubUntilDead publishes a retained message, then QoS 1 and QoS 2 messages in a window until
// the connection dies, recording what the broker acknowledged (PUBACK, PUBREC). It reports
// whether the retained message was acknowledged.
func pubUntilDead(t *testing.T, pub *rawClient, round int, acked map[string]packet.QoS) (retained bool) {
	t.Helper()
	pub.send(&packet.Publish{QoS: 1, PacketID: 1, Retain: true, Topic: fmt.Sprintf("kept/%d", round), Payload: []byte("r")})
	if _, err := pub.pr.Read(); err != nil {
		return false
	}
	inflight := map[uint16]string{}
	const window = 32
	next := 0
	deadline := time.Now().Add(waitTimeout)
	pub.nc.SetDeadline(deadline)
	for time.Now().Before(deadline) {
		for len(inflight) < window {
			next++
			id := uint16(next%60000 + 2)
			qos := packet.QoS(1 + next%2)
			payload := fmt.Sprintf("r%d-m%d-q%d", round, next, qos)
			b, _ := (&packet.Publish{QoS: qos, PacketID: id, Topic: "crash/x", Payload: []byte(payload)}).Encode(nil, packet.V311)
			if _, err := pub.nc.Write(b); err != nil {
				return true
			}
			inflight[id] = payload
		}
		p, err := pub.pr.Read()
		if err != nil {
			return true // killed
		}
		a, ok := p.(*packet.Ack)
		require.True(t, ok, "unexpected %v", p)
		switch a.Kind {
		case packet.PUBACK:
			acked[inflight[a.PacketID]] = 1
			delete(inflight, a.PacketID)
		case packet.PUBREC:
			acked[inflight[a.PacketID]] = 2
			b, _ := (&packet.Ack{Kind: packet.PUBREL, PacketID: a.PacketID}).Encode(nil, packet.V311)
			if _, err := pub.nc.Write(b); err != nil {
				return true
			}
		case packet.PUBCOMP:
			delete(inflight, a.PacketID)
		}
	}
	t.Fatal("the broker was not killed")
	return true
}

// drain reconnects the persistent subscriber and takes every queued message, acknowledging as
// a QoS 2 receiver must (holding packet ids until PUBREL, across connections), until a marker
// published after the restart arrives.
func drain(t *testing.T, addr string, round int, seen map[string]int, held map[uint16]bool) {
	t.Helper()
	sub := dialRawAddr(t, addr)
	require.True(t, sub.connect(&packet.Connect{ClientID: "crash-sub", CleanStart: false}).SessionPresent)
	marker := fmt.Sprintf("marker-%d", round)
	pub := dialRawAddr(t, addr)
	pub.connect(&packet.Connect{ClientID: "marker", CleanStart: true})
	pub.send(&packet.Publish{QoS: 1, PacketID: 1, Topic: "crash/marker", Payload: []byte(marker)})
	require.IsType(t, &packet.Ack{}, pub.read())

	for {
		switch p := sub.read().(type) {
		case *packet.Publish:
			if string(p.Payload) == marker {
				sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
				sub.send(&packet.Disconnect{})
				return
			}
			switch p.QoS {
			case 1:
				seen[string(p.Payload)]++
				sub.send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
			case 2:
				if !held[p.PacketID] { // a DUP of a held id is the same message
					seen[string(p.Payload)]++
					held[p.PacketID] = true
				}
				sub.send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
			}
		case *packet.Ack:
			require.Equal(t, packet.PUBREL, p.Kind)
			delete(held, p.PacketID)
			sub.send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
		default:
			t.Fatalf("unexpected %v", p)
		}
	}
}

// Truncated and garbled store files never stop the broker from starting; what survives is
// served.
func TestCorruptStoreStarts(t *testing.T) {
	dir := t.TempDir()
	opts := func() Options {
		return Options{SysInterval: -1, Persistence: &store.Options{Dir: dir}}
	}
	b := startBroker(t, opts())
	pub := b.connect(t, b.pahoOpts("pub"))
	for i := range 50 {
		wait(t, pub.Publish(fmt.Sprintf("keep/%d", i), 1, true, "v"))
	}
	pub.Disconnect(100)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))

	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	var segs []string
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".log") {
			segs = append(segs, dir+string(os.PathSeparator)+f.Name())
		}
	}
	require.NotEmpty(t, segs)
	last := segs[len(segs)-1]
	data, err := os.ReadFile(last)
	require.NoError(t, err)
	// Garble the middle and tear the tail.
	for i := len(data) / 2; i < len(data)/2+16 && i < len(data); i++ {
		data[i] ^= 0xA5
	}
	require.NoError(t, os.WriteFile(last, data[:len(data)-7], 0o600))

	b2 := startBroker(t, opts())
	n := b2.Stats().Retained
	require.Greater(t, n, 0, "the intact part is restored")
	require.Less(t, n, 50, "the damaged part is dropped")
	c := b2.connect(t, b2.pahoOpts("after"))
	in := newInbox()
	subscribe(t, c, "keep/#", 1, in)
	for range n {
		require.Equal(t, "v", string(in.next(t).Payload()))
	}
}
