package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lonelyleaf/surgemq/adapters/mqttclient"
	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// The payloads of the retained <prefix>/status topic, as the gateway publishes them.
const (
	statusOnline  = "online"
	statusOffline = "offline"
)

// monitor is "pingmq monitor": ping and publish into an existing broker over the network.
func (e env) monitor(ctx context.Context, args []string) int {
	const cmd = "pingmq monitor"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var pf pingFlags
	pf.register(fs)
	server := fs.String("b", "mqtt://localhost:1883", "broker `URL`: mqtt://, tcp://, mqtts://, ws://, wss:// or host:port")
	user := fs.String("u", "", "user name")
	pass := fs.String("P", "", "password (needs -u)")
	id := fs.String("id", "", "client identifier (default: pingmq- and random characters)")
	legacy := fs.Bool("legacy", false, "also publish the 2014 topics /ping/success/<ip> and /ping/failure/<ip>")
	ha := fs.Bool("homeassistant", false, "publish Home Assistant MQTT discovery configs for every host")
	if code, stop := parse(fs, args, e.stderr); stop {
		return code
	}
	cfg, err := pf.config()
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	cfg.LegacyTopics, cfg.HomeAssistant = *legacy, *ha
	log, err := pf.logger(e.stderr)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	mon, err := pingmq.New(cfg, log)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}
	mon.Pinger = e.pinger
	opts, err := e.clientOptions(*id, *user, *pass)
	if err != nil {
		return usageErr(e.stderr, cmd, err)
	}

	// <prefix>/status: "online" on every connection, "offline" by the will when the
	// connection is lost and by us on a clean exit (a DISCONNECT discards the will).
	status := cfg.Prefix + "/status"
	opts.Will = &mqtt.Message{Topic: status, Payload: []byte(statusOffline), QoS: mqtt.QoS1, Retain: true}
	connected := make(chan struct{}, 1)
	logState := logStates(log, *server)
	opts.OnStateChange = func(s mqtt.StateChange) {
		logState(s)
		if s.State == mqtt.StateConnected {
			select {
			case connected <- struct{}{}:
			default: // an announcement is pending already
			}
		}
	}

	c, err := dial(ctx, *server, opts, log)
	switch {
	case ctx.Err() != nil:
		return exitOK
	case errors.Is(err, mqtt.ErrBadURL) || errors.Is(err, mqtt.ErrBadOptions):
		return usageErr(e.stderr, cmd, fmt.Errorf("-b: %w", err))
	case err != nil:
		log.Error("cannot connect", "broker", *server, "error", err)
		return exitError
	}
	log.Info("connected", "broker", *server, "client_id", c.ClientID(), "status_topic", status)

	sctx, stopStatus := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-sctx.Done():
				return
			case <-connected:
				if err := c.Publish(sctx, status, []byte(statusOnline), mqtt.QoS1, mqtt.Retain); err != nil && sctx.Err() == nil {
					log.Warn("publish status", "topic", status, "error", err)
				}
			}
		}
	})

	runErr := mon.Run(ctx, mqttclient.New(c))
	stopStatus()
	wg.Wait()

	// The retained status must end "offline", after any "online" sent above.
	sd, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := c.Publish(sd, status, []byte(statusOffline), mqtt.QoS1, mqtt.Retain); err != nil {
		log.Warn("publish status", "topic", status, "error", err)
	}
	if err := c.Disconnect(sd); err != nil {
		log.Warn("disconnect", "error", err)
	}
	if runErr != nil {
		if !errors.Is(runErr, pingmq.ErrNoICMP) { // pingmq logged that one with its fix
			log.Error("ping monitor failed", "error", runErr)
		}
		return exitError
	}
	return exitOK
}

// dial connects to server, retrying with backoff while the broker cannot be reached (a
// monitor may start before its broker); a refused connection or a bad URL is final.
func dial(ctx context.Context, server string, opts mqtt.Options, log *slog.Logger) (*mqtt.Client, error) {
	for attempt := 0; ; attempt++ {
		c, err := mqtt.Dial(ctx, server, opts)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil || errors.Is(err, mqtt.ErrRefused) || errors.Is(err, mqtt.ErrBadURL) || errors.Is(err, mqtt.ErrBadOptions) {
			return nil, err
		}
		d := mqtt.DefaultBackoff(attempt)
		log.Warn("cannot reach the broker; retrying", "broker", server, "error", err, "in", d.Round(time.Millisecond))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
