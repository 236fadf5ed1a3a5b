package gateway

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's notification protocol (sd_notify(3)) in pure Go: each state is one
// datagram to the unix socket named by $NOTIFY_SOCKET, an abstract socket when the name starts
// with '@'. A nil *notifier (no $NOTIFY_SOCKET: not started by systemd, or not Type=notify)
// does nothing.
type notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration // how often to send WATCHDOG=1; 0: no watchdog
}

// notifierFromEnv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID with getenv. The
// watchdog is on when WATCHDOG_USEC is set and WATCHDOG_PID is unset or this process's id;
// pings go out every WATCHDOG_USEC/2, as sd_watchdog_enabled(3) advises.
func notifierFromEnv(getenv func(string) string) (*notifier, error) {
	socket := getenv("NOTIFY_SOCKET")
	if socket == "" {
		return nil, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("NOTIFY_SOCKET %q is neither a path nor an abstract socket name", socket)
	}
	n := &notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}
	if us := getenv("WATCHDOG_USEC"); us != "" {
		v, err := strconv.ParseUint(us, 10, 63)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("WATCHDOG_USEC %q is not a positive number", us)
		}
		if pid := getenv("WATCHDOG_PID"); pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(v) * time.Microsecond / 2
		}
	}
	return n, nil
}

// send sends one state, such as "READY=1" or "STOPPING=1\nSTATUS=shutting down".
func (n *notifier) send(state string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// reloading is the state announcing a reload; systemd's Type=notify-reload wants the
// CLOCK_MONOTONIC time with it.
func reloading() string {
	if us, ok := monotonicUsec(); ok {
		return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatUint(us, 10)
	}
	return "RELOADING=1"
}

// watch sends WATCHDOG=1 every n.watchdog until ctx ends; it returns at once without a
// watchdog. onErr receives failed sends.
func (n *notifier) watch(ctx context.Context, onErr func(error)) {
	if n == nil || n.watchdog <= 0 {
		return
	}
	t := time.NewTicker(n.watchdog)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.send("WATCHDOG=1"); err != nil {
				onErr(err)
			}
		}
	}
}
