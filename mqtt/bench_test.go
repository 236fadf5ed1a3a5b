//go:build unix

package mqtt

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// The benchmarks publish 64-byte messages with this client and with paho.mqtt.golang to the
// same server, in the same run, and report messages per second (msgs/s) and the CPU time the
// test process spent per message (cpu-ns/msg). The servers are mosquitto (a separate process,
// so cpu-ns/msg is the client's own cost) and "sink", an in-process server that only reads
// and acknowledges, so that the client rather than mosquitto is the bottleneck (its CPU is
// then counted too). The "raw" variants write pre-encoded packets straight to a socket, with
// no client logic at all: they measure what the server can take on this machine, the ceiling
// for any client.
//
//	go test -run '^$' -bench . -benchtime 200000x ./mqtt/
const benchPayloadSize = 64

// pahoClient connects paho.mqtt.golang to addr.
func pahoClient(b *testing.B, addr, id string) paho.Client {
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetAutoReconnect(false).SetOrderMatters(false).SetProtocolVersion(4)
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(b, tok.WaitTimeout(10*time.Second))
	require.NoError(b, tok.Error())
	b.Cleanup(func() { c.Disconnect(100) })
	return c
}

// ourClient connects this package's client to addr.
func ourClient(b *testing.B, addr, id string) *Client {
	c, err := Dial(context.Background(), "mqtt://"+addr, Options{ClientID: id})
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// meter measures the timed part of a benchmark.
type meter struct {
	b     *testing.B
	start time.Time
	cpu   time.Duration
}

func startMeter(b *testing.B) *meter {
	b.ReportAllocs()
	b.ResetTimer()
	return &meter{b: b, start: time.Now(), cpu: processCPU()}
}

func (m *meter) stop() {
	m.b.StopTimer()
	n := float64(m.b.N)
	m.b.ReportMetric(n/time.Since(m.start).Seconds(), "msgs/s")
	m.b.ReportMetric(float64(processCPU()-m.cpu)/n, "cpu-ns/msg")
}

// processCPU returns the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPublishQoS0 publishes from one goroutine as fast as each client allows. A QoS 1
// publish at the end (on the same connection, so after every QoS 0 message) waits until the
// broker has read them all; it is inside the timed part.
func BenchmarkPublishQoS0(b *testing.B) { forEachBenchServer(b, benchQoS0) }

func benchQoS0(b *testing.B, addr string) {
	payload := make([]byte, benchPayloadSize)
	b.Run("surgemq", func(b *testing.B) {
		c := ourClient(b, addr, "bench-ours-0")
		ctx := context.Background()
		m := startMeter(b)
		for range b.N {
			if err := c.Publish(ctx, "bench/qos0", payload); err != nil {
				b.Fatal(err)
			}
		}
		require.NoError(b, c.Publish(ctx, "bench/sync", nil, QoS1))
		m.stop()
	})
	b.Run("paho", func(b *testing.B) {
		c := pahoClient(b, addr, "bench-paho-0")
		m := startMeter(b)
		for range b.N {
			// paho's fastest QoS 0 mode: no Wait per message.
			c.Publish("bench/qos0", 0, false, payload)
		}
		tok := c.Publish("bench/sync", 1, false, []byte(nil))
		tok.Wait()
		require.NoError(b, tok.Error())
		m.stop()
	})
	b.Run("raw", func(b *testing.B) {
		nc, r := rawConnect(b, addr)
		one, err := (&packet.Publish{Topic: "bench/qos0", Payload: payload}).Encode(nil, packet.V311)
		require.NoError(b, err)
		batch := make([]byte, 0, 256*len(one))
		for range 256 {
			batch = append(batch, one...)
		}
		m := startMeter(b)
		for sent := 0; sent < b.N; sent += 256 {
			k := min(256, b.N-sent)
			_, err := nc.Write(batch[:k*len(one)])
			require.NoError(b, err)
		}
		// PINGREQ as the barrier: PINGRESP comes after everything before it was read.
		_, err = nc.Write([]byte{0xC0, 0})
		require.NoError(b, err)
		_, err = r.Read()
		require.NoError(b, err)
		m.stop()
	})
}

// benchParallelism × GOMAXPROCS goroutines publish at QoS 1 at once.
const benchParallelism = 8

// BenchmarkPublishQoS1 publishes from benchParallelism goroutines per CPU, each waiting for
// its PUBACK before the next message, so many messages are in flight at once.
func BenchmarkPublishQoS1(b *testing.B) { forEachBenchServer(b, benchQoS1) }

func benchQoS1(b *testing.B, addr string) {
	payload := make([]byte, benchPayloadSize)
	b.Run("surgemq", func(b *testing.B) {
		c := ourClient(b, addr, "bench-ours-1")
		ctx := context.Background()
		b.SetParallelism(benchParallelism)
		m := startMeter(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := c.Publish(ctx, "bench/qos1", payload, QoS1); err != nil {
					b.Error(err)
					return
				}
			}
		})
		m.stop()
	})
	b.Run("paho", func(b *testing.B) {
		c := pahoClient(b, addr, "bench-paho-1")
		b.SetParallelism(benchParallelism)
		m := startMeter(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tok := c.Publish("bench/qos1", 1, false, payload)
				tok.Wait()
				if err := tok.Error(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		m.stop()
	})
	b.Run("raw", func(b *testing.B) {
		// The same number of messages in flight as the clients above, from one goroutine:
		// write PUBLISHes while the window has room, read the PUBACKs.
		window := benchParallelism * runtime.GOMAXPROCS(0)
		nc, r := rawConnect(b, addr)
		p := &packet.Publish{Topic: "bench/qos1", QoS: packet.QoS1, Payload: payload}
		var buf []byte
		m := startMeter(b)
		sent, acked, id := 0, 0, uint16(0)
		for acked < b.N {
			buf = buf[:0]
			for sent < b.N && sent-acked < window {
				id++
				if id == 0 {
					id = 1
				}
				p.PacketID = id
				buf, _ = p.Encode(buf, packet.V311)
				sent++
			}
			if len(buf) > 0 {
				_, err := nc.Write(buf)
				require.NoError(b, err)
			}
			for {
				_, err := r.Read()
				require.NoError(b, err)
				acked++
				if r.Buffered() == 0 {
					break
				}
			}
		}
		m.stop()
	})
}

// forEachBenchServer runs bench against mosquitto, our broker and the in-process sink.
func forEachBenchServer(b *testing.B, bench func(b *testing.B, addr string)) {
	b.Run("mosquitto", func(b *testing.B) { bench(b, startBroker(b, brokerConfig{}).Addr()) })
	b.Run("surgemq-broker", func(b *testing.B) { bench(b, startSurgemq(b, brokerConfig{}).Addr()) })
	b.Run("sink", func(b *testing.B) { bench(b, startSink(b)) })
}

// startSink starts a server that accepts MQTT connections, acknowledges CONNECT, QoS 1
// PUBLISH and PINGREQ, and discards everything else; it returns its address.
func startSink(b *testing.B) string { return serveLoopback(b, sinkConn) }

// sinkConn serves one sink connection; acks are written when the input runs dry.
func sinkConn(nc net.Conn) {
	br := bufio.NewReaderSize(nc, 64<<10)
	r := packet.NewReader(br, packet.V311, 0)
	var out []byte
	for {
		p, err := r.Read()
		if err != nil {
			return
		}
		switch p := p.(type) {
		case *packet.Connect:
			r.Version = p.Version
			out, _ = (&packet.Connack{}).Encode(out, p.Version)
		case *packet.Publish:
			if p.QoS == packet.QoS1 {
				out, _ = (&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID}).Encode(out, r.Version)
			}
		case *packet.Pingreq:
			out, _ = (&packet.Pingresp{}).Encode(out, r.Version)
		case *packet.Disconnect:
			return
		}
		if len(out) > 0 && br.Buffered() == 0 {
			if _, err := nc.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// rawReader reads packets and tells whether more bytes are buffered.
type rawReader struct {
	br *bufio.Reader
	pr *packet.Reader
}

func (r *rawReader) Read() (packet.Packet, error) { return r.pr.Read() }
func (r *rawReader) Buffered() int                { return r.br.Buffered() }

// rawConnect opens a socket to addr and completes CONNECT/CONNACK by hand.
func rawConnect(b *testing.B, addr string) (net.Conn, *rawReader) {
	nc, err := net.Dial("tcp", addr)
	require.NoError(b, err)
	b.Cleanup(func() {
		_, _ = nc.Write([]byte{0xE0, 0})
		_, _ = io.Copy(io.Discard, nc)
		nc.Close()
	})
	cb, err := (&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, CleanStart: true, KeepAlive: 60, ClientID: "bench-raw"}).Encode(nil, packet.V311)
	require.NoError(b, err)
	_, err = nc.Write(cb)
	require.NoError(b, err)
	br := bufio.NewReader(nc)
	r := &rawReader{br: br, pr: packet.NewReader(br, packet.V311, 0)}
	p, err := r.Read()
	require.NoError(b, err)
	require.Equal(b, packet.CONNACK, p.Type())
	return nc, r
}
