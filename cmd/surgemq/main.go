// Command surgemq is SurgeMQ's MQTT broker and gateway, with Mosquitto-style pub and sub
// clients.
//
//	surgemq serve [-c FILE] [-listen ADDR]... [-data-dir DIR] [-sys-interval 10s] [-log-level info]
//	surgemq check-config -c FILE
//	surgemq pub -t TOPIC -m MESSAGE [options]
//	surgemq sub -t FILTER [-t FILTER]... [options]
//	surgemq bench -scenario 1to1|fanin|fanout|mesh|idle|conn [options]
//	surgemq version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCommand(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runCommand dispatches a subcommand and returns the process exit code.
func runCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "pub":
		return runPub(ctx, rest, stdin, stdout, stderr)
	case "sub":
		return runSub(ctx, rest, stdin, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "check-config":
		return runCheckConfig(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "surgemq", version)
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "surgemq: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: surgemq <command> [flags]

commands:
  serve          run the gateway: broker and adapters (defaults: TCP :1883, $SYS every 10s,
                 a ping monitor of 127.0.0.1); -c FILE for a TOML configuration
  check-config   validate a configuration file and exit
  pub            publish messages (mosquitto_pub flags)
  sub            subscribe and print messages (mosquitto_sub flags)
  bench          load-test any MQTT broker
  version        print the version

Run "surgemq <command> -h" for a command's flags.
`)
}
