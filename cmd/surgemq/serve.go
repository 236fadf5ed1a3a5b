package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/gateway"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// serveFlags are serve's command line: a config file and the values that override it.
type serveFlags struct {
	file        string
	listens     listFlag
	sysInterval time.Duration
	logLevel    string
	dataDir     string
	set         map[string]bool // flags given on the command line
}

// config builds the gateway config: the file (or the built-in defaults: the broker and a
// ping monitor of 127.0.0.1), then the flags on top.
func (f *serveFlags) config() (gateway.Config, error) {
	cfg := gateway.Default()
	if f.file != "" {
		var err error
		if cfg, err = gateway.Load(f.file); err != nil {
			return gateway.Config{}, err
		}
	}
	if len(f.listens) > 0 {
		cfg.Broker.Listeners = append([]string(nil), f.listens...)
	}
	if f.set["sys-interval"] {
		if f.sysInterval < 0 {
			return gateway.Config{}, fmt.Errorf("-sys-interval %v is negative", f.sysInterval)
		}
		cfg.Broker.SysInterval = adapters.D(f.sysInterval)
	}
	if f.set["log-level"] {
		cfg.Log.Level = f.logLevel
	}
	if f.set["data-dir"] {
		cfg.Persistence.Mode, cfg.Persistence.Path = gateway.PersistenceDisk, f.dataDir
	}
	return cfg, cfg.Validate()
}

// runServe runs the gateway until ctx is cancelled (SIGINT/SIGTERM); SIGHUP re-reads -c FILE.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("surgemq serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &serveFlags{}
	fs.StringVar(&f.file, "c", "", "configuration file (TOML); without it: the broker and a ping monitor of 127.0.0.1")
	fs.Var(&f.listens, "listen", "TCP address to listen on, repeatable; replaces [broker] listeners")
	fs.DurationVar(&f.sysInterval, "sys-interval", 10*time.Second, "how often $SYS topics are published; 0 disables")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.dataDir, "data-dir", "", "keep state on disk in `DIR` ([persistence] mode = \"disk\")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "surgemq serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	f.set = make(map[string]bool)
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })

	cfg, err := f.config()
	if err != nil {
		fmt.Fprintf(stderr, "surgemq serve: %v\n", err)
		return 1
	}
	log, err := gateway.NewLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "surgemq serve: %v\n", err)
		return 1
	}
	g, err := gateway.New(cfg, log, gateway.WithVersion("surgemq "+version))
	if err != nil {
		log.Error("serve failed", "error", err)
		return 1
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	stop := make(chan struct{})
	var reloader sync.WaitGroup
	reloader.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-hup:
				if f.file == "" {
					log.Warn("SIGHUP: no configuration file to re-read (serve -c FILE)")
					continue
				}
				log.Info("SIGHUP: reloading", "file", f.file)
				cfg, err := f.config()
				if err == nil {
					err = g.Reload(cfg)
				}
				if err != nil {
					log.Error("reload failed; the running configuration is unchanged", "error", err)
				}
			}
		}
	})
	err = g.Run(ctx)
	close(stop)
	reloader.Wait()
	if err != nil {
		log.Error("serve failed", "error", err)
		return 1
	}
	return 0
}
