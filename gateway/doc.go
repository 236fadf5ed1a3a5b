// Package gateway runs SurgeMQ as an IoT gateway: the MQTT broker plus the adapters that
// bridge hosts and devices into it (ping monitors, serial ports), configured by one TOML
// file, supervised, reloadable and systemd-aware.
//
// # Configuration
//
// Load reads the file; configs/surgemq.toml in the repository shows every key, commented,
// with its default (SampleConfig returns it):
//
//	prefix = "surgemq"          # <prefix>/status and every adapter without its own prefix
//	[broker]                     # listeners, limits and timeouts of the broker
//	[persistence]                # mode = "none" | "disk": retained messages and persistent sessions on disk
//	[log]                        # level, format = "text" | "json"
//	[[ping]]                     # one pingmq.Config per table
//	[[serial]]                   # one serial.Config per table
//
// Keys a file leaves out keep their defaults, in tables and in every [[ping]] / [[serial]]
// table alike. Unknown keys, values of the wrong type and values out of range are errors
// naming the file, the line and the key:
//
//	surgemq.toml:14: ping[0].interval: want a duration string such as "30s", got 60
//	surgemq.toml:21: serial[0]: invalid serial config: path: empty
//
// # Running
//
// Run follows net/http's lifecycle: it listens on every [broker] listener, publishes the
// retained <prefix>/status "online", starts the adapters, closes Ready, and serves until
// its context ends; then it stops the adapters, publishes "offline" and shuts the broker
// down. Addrs reports the listeners' addresses (port 0 picks a free one).
//
// Each adapter runs under a supervisor: an adapter whose Run returns an error, returns
// early or panics (in Run or in a subscription handler) is logged and restarted after
// DefaultBackoff (1s doubling up to 1m), never taking the broker down. A failure retrying
// cannot cure — no ICMP socket permitted — is logged once by the adapter and not retried
// until the next Reload.
//
// Reload applies a new Config to a running gateway: adapters whose table appeared are
// started, those whose table disappeared are stopped, those whose values changed are
// restarted, and the others keep running; client connections are untouched. [broker],
// [persistence] and [log] changes need a restart and are logged as such. `surgemq serve`
// calls Reload on SIGHUP.
//
// # systemd
//
// Under systemd with Type=notify the gateway sends READY=1 once it listens, WATCHDOG=1 every
// WATCHDOG_USEC/2 when WatchdogSec= is set, RELOADING=1 and READY=1 around a reload and
// STOPPING=1 on shutdown, over $NOTIFY_SOCKET, in pure Go:
//
//	[Service]
//	Type=notify
//	ExecStart=/usr/local/bin/surgemq serve -c /etc/surgemq/surgemq.toml
//	ExecReload=/bin/kill -HUP $MAINPID
//	WatchdogSec=30s
//	AmbientCapabilities=CAP_NET_RAW
//	Restart=on-failure
package gateway
