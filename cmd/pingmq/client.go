package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// client is "pingmq client": subscribe and print "topic payload" lines.
func (e env) client(ctx context.Context, args []string) int {
	const cmd = "pingmq client"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	server := fs.String("s", "tcp://127.0.0.1:5836", "broker `URL`: tcp://, mqtt://, mqtts://, ws://, wss:// or host:port")
	var filters listFlag
	fs.Var(&filters, "t", "topic `filter` to subscribe to; repeatable (default /ping/#)")
	count := fs.Int("C", 0, "exit after this many messages (0: run until interrupted)")
	qos := fs.Int("q", 0, "maximum QoS of the subscriptions: 0, 1 or 2")
	id := fs.String("id", "", "client identifier (default: pingmq- and random characters)")
	user := fs.String("u", "", "user name")
	pass := fs.String("P", "", "password (needs -u)")
	if code, stop := parse(fs, args, e.stderr); stop {
		return code
	}
	if len(filters) == 0 {
		filters = listFlag{legacyPrefix + "#"}
	}
	for _, f := range filters {
		if err := topic.ValidFilter(f); err != nil {
			return usageErr(e.stderr, cmd, fmt.Errorf("-t %q: %w", f, err))
		}
	}
	if *count < 0 {
		return usageErr(e.stderr, cmd, fmt.Errorf("-C %d is negative", *count))
	}
	if *qos < 0 || *qos > 2 {
		return usageErr(e.stderr, cmd, fmt.Errorf("-q %d is not 0, 1 or 2", *qos))
	}
	opts, err := e.clientOptions(*id, *user, *pass)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	opts.OnStateChange = logStates(log, *server)

	c, err := mqtt.Dial(ctx, *server, opts)
	if err != nil {
		if ctx.Err() != nil {
			return exitOK
		}
		if errors.Is(err, mqtt.ErrBadURL) {
			return usageErr(e.stderr, cmd, fmt.Errorf("-s: %w", err))
		}
		fmt.Fprintf(e.stderr, "%s: connect %s: %v\n", cmd, *server, err)
		return exitError
	}
	p := &printer{w: bufio.NewWriter(e.stdout), limit: *count, done: make(chan struct{})}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = c.Disconnect(dctx)
		p.flush()
	}()
	subs := make([]mqtt.Subscription, len(filters))
	for i, f := range filters {
		subs[i] = mqtt.Subscription{Filter: f, QoS: mqtt.QoS(*qos)}
	}
	if _, err := c.Subscribe(ctx, p.handle, subs...); err != nil {
		if ctx.Err() != nil {
			return exitOK
		}
		fmt.Fprintf(e.stderr, "%s: subscribe: %v\n", cmd, err)
		return exitError
	}
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	return exitOK
}

// clientOptions returns the mqtt options of client and monitor.
func (e env) clientOptions(id, user, pass string) (mqtt.Options, error) {
	if pass != "" && user == "" {
		return mqtt.Options{}, errors.New("-P needs -u")
	}
	if id == "" {
		id = randomID()
	}
	o := mqtt.Options{ClientID: id, Username: user, Dialer: e.dialer}
	if pass != "" {
		o.Password = []byte(pass)
	}
	return o, nil
}

// logStates logs lost connections and reconnects.
func logStates(log *slog.Logger, server string) func(mqtt.StateChange) {
	var lost atomic.Bool
	return func(s mqtt.StateChange) {
		switch s.State {
		case mqtt.StateConnected:
			if lost.Swap(false) {
				log.Info("reconnected", "broker", server)
			}
		case mqtt.StateDisconnected:
			if !lost.Swap(true) {
				log.Warn("connection lost; reconnecting", "broker", server, "error", s.Err)
			}
		}
	}
}

// printer writes "topic payload" lines, one write per message, like mosquitto_sub -v, and
// closes done after limit messages (0: never).
type printer struct {
	mu    sync.Mutex
	w     *bufio.Writer
	n     int
	limit int
	done  chan struct{}
}

func (p *printer) handle(m *mqtt.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit > 0 && p.n >= p.limit {
		return
	}
	p.w.WriteString(m.Topic)
	p.w.WriteByte(' ')
	p.w.Write(m.Payload)
	p.w.WriteByte('\n')
	_ = p.w.Flush()
	p.n++
	if p.limit > 0 && p.n == p.limit {
		close(p.done)
	}
}

func (p *printer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.w.Flush()
}
