// Package topic implements MQTT topic names and topic filters (MQTT 3.1.1
// and 5.0 section 4.7, shared subscriptions of 5.0 section 4.8.2).
//
// ValidName and ValidFilter check what a client sends; Match is the
// reference matcher for one filter and one name; ParseShared and IsShared
// take apart "$share/{group}/{filter}". Tree is the broker's subscription
// index: a trie keyed by level, with separate pointers for the "+" and "#"
// children, that finds every subscriber of a published topic without
// allocating and serves many concurrent readers.
//
// A topic name is split into levels at '/'. In a filter, "+" matches exactly
// one level (possibly empty) and a last "#" matches the parent level and
// every level below it. Filters starting with a wildcard do not match names
// starting with '$', such as "$SYS/broker/uptime" [MQTT-4.7.2-1].
package topic
