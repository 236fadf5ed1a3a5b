package gateway

import (
	"strings"

	"github.com/lonelyleaf/surgemq/adapters/serial"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// SampleConfig returns configs/surgemq.toml: every key, commented, with its default. Loaded
// as it is, it is Default(): the broker and a ping monitor of 127.0.0.1; the [[serial]]
// table is commented out.
func SampleConfig() string {
	var b strings.Builder
	b.WriteString(sampleHead)
	b.WriteString("\n")
	b.WriteString(strings.Replace(pingmq.SampleConfig(), "\n  targets = []\n", "\n  targets = [\"127.0.0.1\"]\n", 1))
	b.WriteString("\n")
	for _, line := range strings.SplitAfter(serial.SampleConfig(), "\n") {
		switch line {
		case "":
		case "\n":
			b.WriteString("#\n")
		default:
			b.WriteString("# " + line)
		}
	}
	return b.String()
}

const sampleHead = `## SurgeMQ gateway: an MQTT broker and the adapters that bridge devices and hosts into it.
##
## Every key is shown with its default; a commented-out key ("# key = value") is at its
## default. Loaded as it is, this file is what "surgemq serve" runs without -c: the broker and
## a ping monitor of 127.0.0.1. Check a file with "surgemq check-config -c FILE". SIGHUP
## ("systemctl reload surgemq") re-reads it: adapters are added, removed or restarted and
## clients stay connected; changes to [broker], [persistence] and [log] need a restart.
## Durations are strings with a unit: "500ms", "30s", "1m30s".

## First topic level(s) of the gateway's own topics and of every adapter that sets no prefix
## of its own. <prefix>/status is "online" while the gateway runs and "offline" after a clean
## shutdown (retained).
# prefix = "surgemq"

[broker]
  ## TCP addresses to listen on, "host:port". ":1883" is every interface, IPv4 and IPv6;
  ## "0.0.0.0:1883" every IPv4 one, "127.0.0.1:1883" this host only.
  # listeners = [":1883"]
  ## Connections beyond this many are refused; 0 means no limit.
  # max_connections = 0
  ## Largest packet accepted, in bytes; a larger one closes the connection.
  # max_packet_size = 1048576
  ## Unacknowledged QoS 1/2 messages in flight to one client; more wait in its queue.
  # max_inflight = 20
  ## Messages queued per session (client offline or in-flight window full); beyond it they
  ## are dropped and counted. -1 means no limit.
  # max_queued_messages = 1000
  ## Payload bytes queued per session; 0 means no limit.
  # max_queued_bytes = 0
  ## Queue QoS 0 messages for offline persistent sessions too.
  # queue_qos0 = false
  ## Bytes encoded for one connection but not yet written; beyond it QoS 0 messages are
  ## dropped and QoS 1/2 messages wait in the session queue.
  # max_outbound_bytes = 1048576
  ## A connection that sends no CONNECT within this time is closed.
  # connect_timeout = "10s"
  ## A connection whose socket accepts nothing for this long (a stuck client) is closed.
  # write_timeout = "30s"
  ## How often the $SYS topics are published; "0s" disables them.
  # sys_interval = "10s"

[persistence]
  ## "none" keeps retained messages and sessions in memory; "disk" keeps retained messages,
  ## persistent sessions and their queued and in-flight QoS 1/2 messages in path, so they
  ## survive restarts, crashes and power loss.
  # mode = "none"
  ## Data directory. Empty: systemd's $STATE_DIRECTORY if set, else /var/lib/surgemq.
  # path = ""
  ## "always" writes a message to disk before acknowledging it (group commit: one fsync for
  ## many messages); "interval" syncs every fsync_interval, so a crash or power loss can lose
  ## the messages of the last interval (fewer writes: kinder to SD cards).
  # fsync = "always"
  # fsync_interval = "1s"
  ## Bound on the store's disk usage in bytes; messages beyond it are refused (counted and
  ## logged). 0 means no limit.
  # max_disk_bytes = 0

[log]
  ## "debug", "info", "warn" or "error".
  # level = "info"
  ## "text" (key=value) or "json" (one object per line).
  # format = "text"
`
