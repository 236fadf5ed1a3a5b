// Package pingmq is SurgeMQ's ICMP monitor adapter: it pings hosts every interval and publishes
// each host's reachability to MQTT, in the spirit of the 2014 SurgeMQ pingmq example, with
// portable topics and JSON payloads.
//
// # Targets
//
// A target is an IP address, a host name (resolved before every round), a CIDR prefix or an
// IPv4 range; see ExpandTarget. "10.0.0.0/30" is 10.0.0.1 and 10.0.0.2: network and broadcast
// addresses are skipped for prefixes of /30 and shorter. "10.1.1.1-10" and "10.1.1-2.1" are
// octet ranges, "10.0.0.250-10.0.1.5" an address range. Two targets naming the same host are a
// configuration error, and one Config expands to at most MaxHosts hosts.
//
// Targets are grouped: the top-level targets use the top-level interval, count and timeout,
// each [[ping.group]] its own. A round pings every host of a group once; at most
// Config.Concurrency hosts are pinged at the same time across all groups, and rounds of one
// group never overlap (a slow round delays the next one and logs a warning once).
//
// # Topics
//
// <host> is the target as configured (host name) or the IP address. Host names and IP
// addresses never contain the characters MQTT reserves; should one contain '+', '#', '/' or a
// control character anyway, it is replaced by '_' in the topic.
//
//	<prefix>/ping/<host>        retained  JSON State, after every round
//	<prefix>/ping/<host>/state  retained  "online" or "offline", after every round
//	<prefix>/ping/<host>/event            JSON Event, when the state changes
//
// <prefix> is Config.Prefix, "surgemq" by default. A host is online when at least one echo
// reply came back in the round. The state topics are re-published every round, so a broker
// that lost its retained messages is healed within one interval. The state document:
//
//	{"state":"online","rtt_ms":0.042,"rtt_min_ms":0.031,"rtt_max_ms":0.06,"loss_pct":0,
//	 "sent":3,"recv":3,"ttl":64,"ip":"10.0.0.1","since":"2026-01-02T15:04:05.000Z",
//	 "ts":"2026-01-02T16:00:00.000Z"}
//
// rtt_ms, rtt_min_ms and rtt_max_ms (average, minimum, maximum round-trip time in ms, rounded to
// the µs), loss_pct (percent of requests without reply), sent, recv and ttl (IP TTL of the
// last reply) mean what Telegraf's ping input means by average_response_ms,
// minimum_response_ms, maximum_response_ms, percent_packet_loss, packets_transmitted,
// packets_received and ttl. The RTTs and ttl are null when no reply came back. ip is the
// address pinged, error (omitted normally) says why a round could not run, e.g. a name that
// did not resolve. since is when the host entered its state as first seen by this monitor, ts
// when this report was made; both RFC 3339 in UTC with milliseconds (TimeFormat).
//
// The event document, published when a host goes from online to offline or back (not for a
// host's first report, which is not a change):
//
//	{"host":"10.0.0.1","ip":"10.0.0.1","state":"offline","previous":"online",
//	 "previous_since":"2026-01-02T15:04:05.000Z","duration_s":3600,"ts":"2026-01-02T16:04:05.000Z"}
//
// # SurgeMQ 2014 compatibility
//
// With legacy_topics = true the old topics are published too (QoS 0, not retained, with their
// leading '/'): per reply "/ping/success/<ip>" with
// "8 bytes from 8.8.8.8: seq=1 ttl=56 tos=0 time=21.75ms", per unanswered request
// "/ping/failure/<ip>" with "8.8.8.8: Request timed out for seq 1". seq counts from 1 as it
// did; tos is always 0 because pro-bing does not report the reply's TOS byte. The old payloads
// were Go gob; these are the text the old client printed.
//
// # Home Assistant
//
// With homeassistant = true every host becomes a Home Assistant device through MQTT discovery
// (retained configs, see Monitor.Run): a connectivity binary_sensor on
// <discovery_prefix>/binary_sensor/<id>/config and "Round-trip time" (ms) and "Packet loss"
// (%) sensors on <discovery_prefix>/sensor/<id>_rtt/config and …/<id>_loss/config, where <id>
// is "<prefix>_ping_<host>" with every character outside [a-zA-Z0-9_-] replaced by '_'
// (surgemq_ping_10_0_0_1). They read the JSON state topic through value templates and use
// Config.AvailabilityTopic (default <prefix>/status) for availability, which the owner of the
// MQTT connection publishes. The configs are announced when Run starts and again whenever
// <discovery_prefix>/status receives "online" (Home Assistant restarted).
//
// # ICMP sockets
//
// Mode "privileged" uses a raw socket (root or CAP_NET_RAW), "unprivileged" a Linux ping
// socket (the process's group must be in net.ipv4.ping_group_range), "auto" the first that
// opens. When none opens, Run logs one line naming the fix — setcap cap_net_raw+ep on the
// binary, sysctl net.ipv4.ping_group_range="0 2147483647", or AmbientCapabilities=CAP_NET_RAW
// in the systemd unit — and returns an error wrapping ErrNoICMP; the gateway keeps running.
package pingmq
