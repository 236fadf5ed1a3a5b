// Package serial is SurgeMQ's serial-port adapter: it bridges a serial device (USB adapter,
// UART, modem, GPS, meter) and MQTT topics, using go.bug.st/serial.
//
// # Topics
//
//	<prefix>/serial/<name>/rx     device → MQTT, one message per frame (not retained)
//	<prefix>/serial/<name>/tx     MQTT → device, one write per message
//	<prefix>/serial/<name>/state  "online" / "offline", retained, QoS 1
//
// # Framing (device → rx)
//
//   - line: frames end at Terminator (default "\n"), which is not published; with StripCR one
//     '\r' before it is removed, so "\r\n" lines work with the default. Empty lines are skipped.
//     A line longer than MaxFrame is dropped whole (counted in Stats, logged).
//   - fixed: every FrameSize bytes is a frame.
//   - idle: whatever arrived is a frame once the line has been quiet for IdleGap (the read
//     timeout of go.bug.st/serial), cut at MaxFrame. For devices that send binary bursts.
//
// A partial frame is forgotten when the device is lost.
//
// # Encoding (rx and tx)
//
//   - text: the bytes as they are.
//   - hex: lower-case hex on rx ("0aff"); tx accepts either case and ignores white space.
//   - base64: standard base64 with padding on rx; tx accepts it with or without padding.
//   - json: rx is {"data":"<frame>","ts":"<RFC 3339 UTC, ms>"} when the frame is valid UTF-8,
//     else {"data":"<base64>","base64":true,"ts":"…"} (see Frame); tx is {"data":"…"} or
//     {"data":"<base64>","base64":true}, ts ignored.
//
// For line framing, tx messages get the terminator appended (an empty message sends just the
// terminator). A tx message that does not decode, or is larger than MaxFrame, is dropped and
// logged; so are tx messages that arrive while the device is offline (they are not replayed
// to the next device) and those beyond TxQueue waiting ones.
//
// # Unplug and replug
//
// A read or write error (go.bug.st/serial reports an unplugged USB adapter as a closed port or
// EIO), or Path disappearing or naming another device (checked every second), ends the
// session: the adapter publishes "offline", closes the port and reopens it after
// ReconnectMin, doubling the delay up to ReconnectMax while the device stays away; it does
// not poll faster than that. When the device is back it publishes "online". A missing device
// at start is "offline" until it appears. When Run stops it publishes "offline".
//
// Prefer a /dev/serial/by-id/… path: it follows the device when it comes back as another
// ttyUSBn.
package serial
