// Package bench is SurgeMQ's MQTT load generator, behind "surgemq bench".
//
// It speaks MQTT itself, with package packet, so that it is never what limits a result:
// every connection has one reader goroutine, which accounts deliveries and batches its
// acknowledgements per read, and one writer goroutine, which writes everything queued in one
// Write; publishers encode batches of messages and keep a window of in-flight QoS 1/2
// messages. Run with Config.Selftest against the trivial in-process Forwarder to see the
// generator's own ceiling on a machine.
//
// Every payload starts with 24 bytes: the publisher's index, a per-publisher sequence number
// and the Unix-nanosecond send time, big-endian. From them each subscriber computes latency
// (publish to delivery) and, per publisher, exactly which sequences it got: loss is split
// into mid-stream gaps and an undelivered tail, duplicates are counted, and at QoS 1 and 2
// the Verdict says whether every message the broker acknowledged reached every subscriber
// due to get it.
//
// With the broker's pid, a Report also has the broker's CPU time per delivered message and
// its memory (from /proc); the generator's own CPU comes from getrusage.
//
// Run bounds every loop by Config.Duration, Config.Count and its context, and returns only
// when all its goroutines have.
package bench
