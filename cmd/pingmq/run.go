package main

import (
	"context"
	"fmt"
	"io"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // runtime error: the message is on stderr
	exitUsage = 2 // bad command line
)

// env is the world a command runs in. main uses the real one; tests replace the pinger (no
// ICMP needed) and the dialer (to cut connections).
type env struct {
	stdout, stderr io.Writer
	// pinger replaces the ICMP pinger of -mode when set.
	pinger pingmq.Pinger
	// dialer opens the network connections of client and monitor when set.
	dialer mqtt.Dialer
}

// run runs the command named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return env{stdout: stdout, stderr: stderr}.run(ctx, args)
}

func (e env) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "server":
		return e.server(ctx, rest)
	case "client":
		return e.client(ctx, rest)
	case "monitor":
		return e.monitor(ctx, rest)
	case "version", "-version", "--version":
		fmt.Fprintln(e.stdout, "pingmq", version)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "pingmq: unknown command %q\n\n", cmd)
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
}

const usage = `pingmq pings hosts and publishes over MQTT whether they answer.

usage:
  pingmq server  [-u tcp://:5836] -p TARGETS [-i 60] [-layout old|new|both] [flags]
  pingmq client  [-s tcp://127.0.0.1:5836] [-t /ping/#]... [-C count]
  pingmq monitor [-b mqtt://localhost:1883] -p TARGETS [-i 60] [-prefix surgemq]
                 [-u user -P pass] [-id clientid] [-legacy] [-homeassistant] [flags]
  pingmq version
  pingmq help

commands:
  server   Run an MQTT broker listening on -u (tcp://host:port or host:port) and ping the
           -p targets every -i, publishing into it in process.
           -layout old (default): the 2014 pingmq topics, QoS 0, text payloads:
             /ping/success/<ip>  "8 bytes from 10.0.0.1: seq=1 ttl=64 tos=0 time=0.42ms"
             /ping/failure/<ip>  "10.0.0.1: Request timed out for seq 1"
           -layout new: <prefix>/ping/<host> (retained JSON state), .../state (retained
           "online"/"offline"), .../event (JSON, on change). -layout both: both.
  client   Subscribe to the -t filters (repeatable; default /ping/#) on the -s broker and
           print "topic payload" lines until interrupted, or until -C messages arrived.
  monitor  Ping the -p targets and publish the new layout into an existing broker (-b),
           reconnecting when the connection is lost. <prefix>/status is "online" (retained)
           while it runs and "offline" when it stops or its connection is lost (its will),
           the availability topic of -homeassistant's discovery configs. -legacy adds the
           old topics.

targets (-p, repeatable, comma-separated):
  10.0.0.1  router.lan  10.0.0.0/28 (network and broadcast skipped)  10.1.1.1-10
  10.1.1-2.1  10.0.0.250-10.0.1.5

interval (-i): seconds (60) or a duration (30s, 5m).

ICMP permissions: pinging needs root or CAP_NET_RAW (setcap cap_net_raw+ep pingmq), or, for
-mode unprivileged, a net.ipv4.ping_group_range that includes the process's group. Without
them pingmq logs one error line naming the fix; server keeps serving its broker (nothing is
pinged until it is restarted with the permission), monitor exits with status 1.

exit status: 0 ok (also after SIGINT/SIGTERM), 1 runtime error (message on stderr),
2 usage error.

Run "pingmq <command> -h" for a command's flags.
`
