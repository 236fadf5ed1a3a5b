package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/inproc"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// shutdownTimeout bounds the broker's shutdown and the monitor's last publishes on exit.
const shutdownTimeout = 5 * time.Second

// The topic layouts of server -layout.
const (
	layoutOld  = "old"  // /ping/success/<ip>, /ping/failure/<ip>: the 2014 pingmq
	layoutNew  = "new"  // <prefix>/ping/<host>[/state|/event]
	layoutBoth = "both" // both
)

// legacyPrefix starts every topic of the old layout.
const legacyPrefix = "/ping/"

// server is "pingmq server": an embedded broker plus a ping monitor publishing into it.
func (e env) server(ctx context.Context, args []string) int {
	const cmd = "pingmq server"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var pf pingFlags
	pf.register(fs)
	rawURL := fs.String("u", "tcp://:5836", "`URL` to listen on: tcp://host:port or host:port (port 0: any free port)")
	layout := fs.String("layout", layoutOld, "topic layout: old (/ping/success|failure/<ip>), new (<prefix>/ping/<host>) or both")
	if code, stop := parse(fs, args, e.stderr); stop {
		return code
	}
	addr, err := listenAddr(*rawURL)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	cfg, err := pf.config()
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	switch *layout {
	case layoutOld, layoutBoth:
		cfg.LegacyTopics = true
	case layoutNew:
	default:
		return usageErr(e.stderr, cmd, fmt.Errorf("-layout %q is not old, new or both", *layout))
	}
	log, err := pf.logger(e.stderr)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	mon, err := pingmq.New(cfg, log)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	mon.Pinger = e.pinger

	b, err := broker.New(broker.Options{Logger: log, Version: "pingmq " + version})
	if err != nil {
		log.Error("broker", "error", err)
		return exitError
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("cannot listen", "error", err)
		_ = b.Shutdown(context.Background())
		return exitError
	}
	log.Info("listening", "addr", l.Addr().String(), "layout", *layout, "version", version)
	served := make(chan error, 1)
	go func() { served <- b.Serve(l) }()

	var c adapters.Client = inproc.New(b)
	if *layout == layoutOld {
		c = oldLayoutOnly{c}
	}
	mctx, stopMonitor := context.WithCancel(ctx)
	monitored := make(chan error, 1)
	go func() { monitored <- mon.Run(mctx, c) }()

	code := exitOK
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case err := <-served:
			log.Error("broker stopped", "error", err)
			served, code = nil, exitError
			break wait
		case err := <-monitored:
			monitored = nil
			switch {
			case errors.Is(err, pingmq.ErrNoICMP):
				// pingmq logged the cause and the fix; the broker stays useful to clients.
				log.Warn("serving the broker without pinging; restart pingmq once ICMP is permitted")
			case err != nil:
				log.Error("ping monitor stopped; serving the broker without pinging", "error", err)
			}
		}
	}
	stopMonitor()
	if monitored != nil {
		<-monitored
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil {
		log.Error("broker shutdown", "error", err)
		code = exitError
	}
	if served != nil {
		<-served
	}
	return code
}

// listenAddr turns -u into a host:port to listen on: tcp://host:port (mqtt:// too, port 1883
// when missing), or host:port as is.
func listenAddr(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		if _, _, err := net.SplitHostPort(raw); err != nil {
			return "", fmt.Errorf("-u %q: %w", raw, err)
		}
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("-u %q: %w", raw, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt":
	default:
		return "", fmt.Errorf("-u %q: scheme %q is not tcp", raw, u.Scheme)
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
		return "", fmt.Errorf("-u %q: want tcp://host:port", raw)
	}
	port := u.Port()
	if port == "" {
		port = "1883"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// oldLayoutOnly passes on only the publishes of the 2014 layout: pingmq always publishes its
// new layout, which -layout old leaves out.
type oldLayoutOnly struct{ adapters.Client }

// Publish implements adapters.Client.
func (o oldLayoutOnly) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if !strings.HasPrefix(topic, legacyPrefix) {
		return nil
	}
	return o.Client.Publish(ctx, topic, payload, qos, retain)
}
