package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/lonelyleaf/surgemq/broker"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runServe runs the broker until ctx is cancelled (SIGINT/SIGTERM), then shuts it down.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("surgemq serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var listens listFlag
	fs.Var(&listens, "listen", "TCP address to listen on, repeatable (default \":1883\")")
	sysInterval := fs.Duration("sys-interval", broker.DefaultSysInterval, "how often $SYS topics are published; 0 disables")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
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
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "surgemq serve: bad -log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	if len(listens) == 0 {
		listens = listFlag{":1883"}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	opts := broker.Options{Logger: log, Version: "surgemq " + version, SysInterval: *sysInterval}
	if *sysInterval <= 0 {
		opts.SysInterval = -1
	}
	if err := serve(ctx, opts, listens, log); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

// serve listens on every address, serves until ctx ends and shuts down gracefully.
func serve(ctx context.Context, opts broker.Options, addrs []string, log *slog.Logger) error {
	srv, err := broker.New(opts)
	if err != nil {
		return err
	}
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			srv.Shutdown(context.Background())
			return fmt.Errorf("listen %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		log.Info("listening", "addr", l.Addr().String(), "version", opts.Version)
		go func() { errc <- srv.Serve(l) }()
	}
	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, broker.ErrServerClosed) {
		return serveErr
	}
	return nil
}
