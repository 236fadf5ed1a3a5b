package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// targetsFlag collects -p: repeatable, each a comma-separated list of targets.
type targetsFlag []string

func (t *targetsFlag) String() string { return strings.Join(*t, ",") }

func (t *targetsFlag) Set(v string) error {
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*t = append(*t, item)
		}
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// intervalFlag is -i: whole seconds as the old pingmq took them ("60"), or a Go duration
// ("30s", "5m").
type intervalFlag time.Duration

func (i *intervalFlag) String() string { return time.Duration(*i).String() }

func (i *intervalFlag) Set(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > int64(24*time.Hour/time.Second) {
			return fmt.Errorf("%d seconds is not within 1-86400", n)
		}
		*i = intervalFlag(time.Duration(n) * time.Second)
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New(`use seconds ("60") or a duration ("30s", "5m")`)
	}
	if d <= 0 {
		return errors.New("must be positive")
	}
	*i = intervalFlag(d)
	return nil
}

// pingFlags are the ping monitor's flags, shared by server and monitor.
type pingFlags struct {
	targets  targetsFlag
	interval intervalFlag
	prefix   string
	mode     string
	logLevel string
}

func (p *pingFlags) register(fs *flag.FlagSet) {
	p.interval = intervalFlag(60 * time.Second)
	fs.Var(&p.targets, "p", "`targets` to ping: addresses, names, CIDR prefixes, ranges; repeatable, comma-separated")
	fs.Var(&p.interval, "i", "time between two rounds: seconds or a duration like 30s")
	fs.StringVar(&p.prefix, "prefix", "surgemq", "first topic level(s) of the new layout: <prefix>/ping/<host>")
	fs.StringVar(&p.mode, "mode", "auto", "ICMP socket: auto, privileged (raw: root or CAP_NET_RAW) or unprivileged (ping_group_range)")
	fs.StringVar(&p.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// config returns the pingmq configuration the flags describe.
func (p *pingFlags) config() (pingmq.Config, error) {
	if len(p.targets) == 0 {
		return pingmq.Config{}, errors.New("no targets: give -p, e.g. -p 10.0.0.0/28")
	}
	cfg := pingmq.DefaultConfig()
	cfg.Targets = append([]string(nil), p.targets...)
	cfg.Interval = adapters.D(time.Duration(p.interval))
	cfg.Prefix = p.prefix
	cfg.Mode = pingmq.Mode(p.mode)
	return cfg, nil
}

// logger returns the text logger on w at the -log-level.
func (p *pingFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(p.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level %q is not debug, info, warn or error", p.logLevel)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// parse parses args into fs and reports an exit code when the command must not go on:
// exitOK after -h, exitUsage for a mistake (already reported on stderr).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, stop bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, true
	}
	return 0, false
}

// usageErr reports a usage mistake found after parsing and returns exitUsage.
func usageErr(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\nRun \"%s -h\" for its flags.\n", cmd, err, cmd)
	return exitUsage
}

// randomID returns a client identifier "pingmq-" plus 10 random characters.
func randomID() string { return "pingmq-" + rand.Text()[:10] }
