package mqtttest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// connect sends a 3.1.1 CONNECT to addr and returns the CONNACK's return code.
func connect(t *testing.T, addr, user, password string) byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	p := &packet.Connect{ClientID: "mqtttest", CleanStart: true, KeepAlive: 30}
	if user != "" {
		p.UsernameFlag, p.Username, p.PasswordFlag, p.Password = true, user, true, []byte(password)
	}
	b, err := p.Encode(nil, packet.V311)
	require.NoError(t, err)
	_, err = c.Write(b)
	require.NoError(t, err)
	ack, err := packet.NewReader(bufio.NewReader(c), packet.V311, 1<<10).Read()
	require.NoError(t, err)
	require.IsType(t, &packet.Connack{}, ack)
	return ack.(*packet.Connack).ReasonCode
}

func TestMosquittoStartStopRestart(t *testing.T) {
	m := mqtttest.StartMosquitto(t, mqtttest.MosquittoConfig{Persistence: true})
	require.Empty(t, m.TLSAddr())
	require.Equal(t, byte(0), connect(t, m.Addr(), "", ""))

	m.Stop()
	m.Stop() // twice is fine
	_, err := net.DialTimeout("tcp", m.Addr(), time.Second)
	require.Error(t, err, "stopped mosquitto still listens")

	m.Restart(t)
	require.Equal(t, byte(0), connect(t, m.Addr(), "", ""), "restarted on the same port")
}

func TestMosquittoUsers(t *testing.T) {
	m := mqtttest.StartMosquitto(t, mqtttest.MosquittoConfig{
		Users:    map[string]string{"alice": "secret"},
		ACL:      "user alice\ntopic readwrite #\n",
		Settings: []string{"max_inflight_messages 5"},
	})
	require.Equal(t, byte(0), connect(t, m.Addr(), "alice", "secret"))
	require.Equal(t, byte(5), connect(t, m.Addr(), "alice", "wrong"), "not authorized")
	require.Equal(t, byte(5), connect(t, m.Addr(), "", ""), "anonymous refused")
}

func TestDialerCutAndBlock(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()

	var d mqtttest.Dialer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 {
		_, err := d.DialContext(ctx, "tcp", l.Addr().String())
		require.NoError(t, err)
	}
	d.Cut()
	for range 2 {
		s := <-accepted
		require.NoError(t, s.SetReadDeadline(time.Now().Add(10*time.Second)))
		_, err := s.Read(make([]byte, 1))
		require.True(t, errors.Is(err, io.EOF), "the server side sees the cut: %v", err)
		s.Close()
	}

	d.Block(true)
	_, err = d.DialContext(ctx, "tcp", l.Addr().String())
	require.ErrorContains(t, err, "blocked")
	d.Block(false)
	c, err := d.DialContext(ctx, "tcp", l.Addr().String())
	require.NoError(t, err)
	c.Close()
	(<-accepted).Close()
	require.Equal(t, int64(4), d.Dials())
}

func TestBufferWaitMatch(t *testing.T) {
	var b mqtttest.Buffer
	go func() {
		for _, s := range []string{"starting\n", "ready ", "on 1883\n"} {
			_, _ = b.Write([]byte(s))
		}
	}()
	require.Equal(t, []string{"ready on 1883", "1883"}, b.WaitMatch(t, `ready on (\d+)`))
	require.Equal(t, "starting\nready on 1883\n", b.String())
}
