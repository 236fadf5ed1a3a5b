package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

const subUsage = `surgemq sub subscribes to topics and prints the messages it receives
(mosquitto_sub compatible).

Usage: surgemq sub {[-h host] [-p port] [-u username] [-P password] -t topic ... | -L URL [-t topic]}
                   [-c] [-k keepalive] [-q qos] [-x session-expiry]
                   [-C msg_count] [-E] [-R] [--retained-only] [--remove-retained]
                   [-T filter_out ...] [-U topic ...] [-F format] [-W timeout_secs]
                   [-A bind_address] [-i id] [-I id_prefix] [-d] [-N] [--quiet] [-v]
                   [-V 31|311|5|mqttv31|mqttv311|mqttv5] [-D connect|will identifier value]
                   [--will-topic topic [--will-payload payload] [--will-qos qos] [--will-retain]]
                   [--cafile file | --capath dir] [--cert file --key file] [--insecure]
                   [--tls-version tlsv1.2|tlsv1.3] [--tls-use-os-certs]
       surgemq sub --help

 -C : exit after this many messages (retained ones do not count with -R).
 -c : disable clean session (persistent session); needs -i.
 -d : print connection events.
 -E : exit once the subscriptions are acknowledged.
 -F : output format: %t topic, %p payload, %q QoS, %r retained, %l length, %m message id,
      %x/%X hex payload, %I ISO-8601 time, %U Unix time, %j/%J JSON, MQTT 5: %C content
      type, %D correlation data, %E expiry, %F payload format, %P user properties,
      %R response topic, %S subscription id; @X is strftime's %X, @N nanoseconds;
      \n \t \0 \\ escapes; widths as in %-10t, %05l, %.8t.
 -h : host to connect to. Defaults to localhost.
 -i : client id. Defaults to a random id (3.x) or one assigned by the server (5).
 -I : client id prefix; the process id is appended.
 -k : keepalive in seconds (0 disables). Defaults to 60.
 -L : mqtt(s)://[username[:password]@]host[:port]/topic (also ws:// and wss://).
 -N : do not print a newline after each message.
 -p : port. Defaults to 1883, or 8883 with TLS.
 -P : password.
 -q : QoS of the subscriptions. Defaults to 0.
 -R : do not print stale (retained) messages.
 -t : topic filter to subscribe to; repeatable.
 -T : topic filter not to print; repeatable.
 -u : username.
 -U : topic filter to unsubscribe from (after subscribing); repeatable.
 -v : print "topic payload".
 -V : protocol version. Defaults to 311.
 -W : exit with status 27 after this many seconds.
 -x : MQTT 5 session expiry interval in seconds (-1: never).
 --help : print this text.
 --quiet : do not print errors.
 --remove-retained : clear each retained message received.
 --retain-as-published : MQTT 5 subscription option.
 --retained-only : print only retained messages; exit at the first live one.
 --will-topic, --will-payload, --will-qos, --will-retain : the client's will.
 --cafile, --capath : trusted CA certificates; enable TLS.
 --cert, --key : client certificate and key.
 --insecure : do not check the server certificate's host name.
 --tls-version : minimum TLS version.
 --tls-use-os-certs : trust the system's CA certificates; enables TLS.

Exit status: 0 on success; the CONNACK code if the broker refused the connection; 27 if -W
expired; 1 for other errors.
`

// subFlags are the options of surgemq sub.
type subFlags struct {
	clientFlags
	count             int
	exitOnAck         bool
	noRetained        bool
	retainedOnly      bool
	removeRetained    bool
	retainAsPublished bool
	filterOut         []string
	unsubscribe       []string
	format            string
	noEOL             bool
	verbose           bool
	timeout           time.Duration
}

// parse handles the options only sub has.
func (f *subFlags) parse(opt string, r *argReader) (bool, error) {
	var err error
	var n int64
	var s string
	switch opt {
	case "-C":
		n, err = r.intValue(opt, "count", 1, 1<<31-1)
		f.count = int(n)
	case "-E":
		f.exitOnAck = true
	case "-R":
		f.noRetained = true
	case "--retained-only":
		f.retainedOnly = true
	case "--remove-retained":
		f.removeRetained = true
	case "--retain-as-published":
		f.retainAsPublished = true
	case "-T", "--filter-out":
		if s, err = r.value(opt, "topic filter"); err == nil {
			if topic.ValidFilter(s) != nil {
				return true, usagef("Invalid filter topic '%s', are all '+' and '#' wildcards correct?", s)
			}
			f.filterOut = append(f.filterOut, s)
		}
	case "-U", "--unsubscribe":
		if s, err = r.value(opt, "unsubscribe topic"); err == nil {
			if topic.ValidFilter(s) != nil {
				return true, usagef("Invalid unsubscribe topic '%s', are all '+' and '#' wildcards correct?", s)
			}
			f.unsubscribe = append(f.unsubscribe, s)
		}
	case "-F":
		f.format, err = r.value(opt, "format")
	case "-N":
		f.noEOL = true
	case "-v", "--verbose":
		f.verbose = true
	case "-W":
		n, err = r.intValue(opt, "timeout", 1, 1<<31-1)
		f.timeout = time.Duration(n) * time.Second
	default:
		return false, nil
	}
	return true, err
}

// check validates sub's options after parsing.
func (f *subFlags) check() error {
	if len(f.topics) == 0 && len(f.unsubscribe) == 0 {
		return usagef("You must specify a topic to subscribe to.")
	}
	for _, t := range f.topics {
		if topic.ValidFilter(t) != nil {
			return usagef("Invalid subscription topic '%s', are all '+' and '#' wildcards correct?", t)
		}
	}
	if f.retainAsPublished && f.version != mqtt.V5 {
		return usagef("--retain-as-published is only valid for MQTT v5 clients.")
	}
	if f.format != "" {
		if _, err := parseFormat(f.format); err != nil {
			return usagef("Invalid -F format: %v", err)
		}
	}
	return nil
}

// runSub is "surgemq sub": mosquitto_sub's options, output and exit codes. args exclude "sub".
func runSub(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := &subFlags{clientFlags: clientFlags{cmd: "sub"}}
	if code := parseArgs(&f.clientFlags, args, stdout, stderr, subUsage, f.parse, f.check); code >= 0 {
		return code
	}
	opts, err := f.options(stderr)
	if err != nil {
		f.errorf(stderr, "%v", err)
		return exitError
	}
	p := &printer{f: f, w: bufio.NewWriter(stdout), done: make(chan struct{})}
	if f.format != "" {
		p.format, _ = parseFormat(f.format)
	}
	opts.DefaultHandler = p.handle // Messages of a resumed session arrive before SUBACK.
	c, err := mqtt.Dial(ctx, f.serverURL(), opts)
	if err != nil {
		return f.connectExit(stderr, err)
	}
	p.client = c
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Disconnect(dctx)
		p.flush()
	}()
	var timeout <-chan time.Time
	if f.timeout > 0 {
		t := time.NewTimer(f.timeout) // The timeout starts once connected, as mosquitto's.
		defer t.Stop()
		timeout = t.C
	}
	if code := f.subscribe(ctx, c, p, stderr); code >= 0 {
		return code
	}
	if f.exitOnAck {
		return exitOK
	}
	select {
	case <-p.done:
		return exitOK
	case <-ctx.Done():
		return exitOK // SIGINT/SIGTERM.
	case <-timeout:
		if !f.quiet {
			fmt.Fprintln(stderr, "Timed out")
		}
		return exitTimeout
	}
}

// subscribe makes the subscriptions and unsubscriptions; it returns an exit code, or -1 to go
// on.
func (f *subFlags) subscribe(ctx context.Context, c *mqtt.Client, p *printer, stderr io.Writer) int {
	if len(f.topics) > 0 {
		subs := make([]mqtt.Subscription, len(f.topics))
		for i, t := range f.topics {
			subs[i] = mqtt.Subscription{Filter: t, QoS: f.qos, RetainAsPublished: f.retainAsPublished}
		}
		res, err := c.Subscribe(ctx, p.handle, subs...)
		if err != nil && !errors.Is(err, mqtt.ErrSubscribeRefused) {
			if ctx.Err() != nil {
				return exitOK
			}
			f.errorf(stderr, "Subscribe failed: %v", err)
			return exitError
		}
		granted := 0
		for _, r := range res {
			if r.Err != nil {
				f.errorf(stderr, "%v", r.Err)
				continue
			}
			granted++
		}
		if granted == 0 {
			f.errorf(stderr, "All subscription requests were denied.")
			return exitError
		}
	}
	if len(f.unsubscribe) > 0 {
		if err := c.Unsubscribe(ctx, f.unsubscribe...); err != nil && ctx.Err() == nil {
			f.errorf(stderr, "Unsubscribe failed: %v", err)
			return exitError
		}
	}
	return -1
}

// printer writes received messages to stdout, mosquitto_sub style, and signals done when -C
// or --retained-only ends the command.
type printer struct {
	f      *subFlags
	client *mqtt.Client
	format []formatItem

	mu       sync.Mutex // Guards everything below.
	w        *bufio.Writer
	n        int
	finished bool
	done     chan struct{} // Closed by finishLocked.
}

func (p *printer) handle(m *mqtt.Message) {
	f := p.f
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished || f.exitOnAck {
		return // -E only sets up subscriptions; it exits as soon as they are acknowledged.
	}
	if f.removeRetained && m.Retain && p.client != nil {
		// QoS 0 returns without waiting for the server: safe inside a handler.
		_ = p.client.Publish(context.Background(), m.Topic, nil, mqtt.QoS0, mqtt.Retain)
	}
	for _, out := range f.filterOut {
		if topic.Match(out, m.Topic) {
			return
		}
	}
	if f.retainedOnly && !m.Retain {
		p.finishLocked()
		return
	}
	if f.noRetained && m.Retain {
		return
	}
	switch {
	case p.format != nil:
		writeFormat(p.w, p.format, m, time.Now())
	case f.verbose:
		p.w.WriteString(m.Topic)
		p.w.WriteByte(' ')
		p.w.Write(m.Payload)
	default:
		p.w.Write(m.Payload)
	}
	if !f.noEOL {
		p.w.WriteByte('\n')
	}
	_ = p.w.Flush() // One write per message, as mosquitto_sub flushes stdout.
	p.n++
	if f.count > 0 && p.n >= f.count {
		p.finishLocked()
	}
}

// flush writes what is buffered; the main goroutine calls it after Disconnect.
func (p *printer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.w.Flush()
}

// finishLocked ends the command. Called with p.mu held.
func (p *printer) finishLocked() {
	if !p.finished {
		p.finished = true
		close(p.done)
	}
}

// formatItem is one piece of a -F format: literal text, a %-parameter or an @-time field.
type formatItem struct {
	lit   string
	verb  byte // '%' parameter letter, or 0 for literal text.
	time  bool // An @ field: verb is a strftime letter.
	left  bool // "-" flag: pad on the right.
	zero  bool // "0" flag: pad with zeros.
	width int
	prec  int // Maximum width; -1 when none.
}

// parseFormat compiles a mosquitto_sub -F format string.
func parseFormat(s string) ([]formatItem, error) {
	var items []formatItem
	var lit []byte
	flushLit := func() {
		if len(lit) > 0 {
			items = append(items, formatItem{lit: string(lit)})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			i++
			if i == len(s) {
				return nil, errors.New(`trailing "\"`)
			}
			e, ok := map[byte]byte{'\\': '\\', '0': 0, 'a': '\a', 'e': 0x1b, 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}[s[i]]
			if !ok {
				return nil, fmt.Errorf(`unknown escape "\%c"`, s[i])
			}
			lit = append(lit, e)
		case '@':
			i++
			if i == len(s) {
				return nil, errors.New(`trailing "@"`)
			}
			if s[i] == '@' {
				lit = append(lit, '@')
				continue
			}
			if !strings.ContainsRune("aAbBdeFHIjmMNpsSTuwyYzZDR", rune(s[i])) {
				return nil, fmt.Errorf("unknown time field @%c", s[i])
			}
			flushLit()
			items = append(items, formatItem{verb: s[i], time: true, prec: -1})
		case '%':
			it := formatItem{prec: -1}
			i++
			for ; i < len(s) && (s[i] == '-' || s[i] == '0'); i++ {
				it.left = it.left || s[i] == '-'
				it.zero = it.zero || s[i] == '0'
			}
			for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
				it.width = it.width*10 + int(s[i]-'0')
			}
			if i < len(s) && s[i] == '.' {
				it.prec = 0
				for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
					it.prec = it.prec*10 + int(s[i]-'0')
				}
			}
			if i == len(s) {
				return nil, errors.New(`incomplete "%" parameter`)
			}
			if s[i] == '%' {
				lit = append(lit, '%')
				continue
			}
			if !strings.ContainsRune("ACDEFIjJlmpPqrRStUxX", rune(s[i])) {
				return nil, fmt.Errorf("unknown parameter %%%c", s[i])
			}
			it.verb = s[i]
			flushLit()
			items = append(items, it)
		default:
			lit = append(lit, c)
		}
	}
	flushLit()
	return items, nil
}

// writeFormat prints m with a compiled -F format; now is the time of receipt.
func writeFormat(w *bufio.Writer, items []formatItem, m *mqtt.Message, now time.Time) {
	for _, it := range items {
		switch {
		case it.verb == 0:
			w.WriteString(it.lit)
		case it.time:
			w.WriteString(strftime(it.verb, now))
		case it.verb == 'p':
			w.Write(m.Payload) // Raw bytes: never padded.
		default:
			w.WriteString(it.pad(param(it.verb, m, now)))
		}
	}
}

// pad applies width, precision and flags to s.
func (it formatItem) pad(s string) string {
	if it.prec >= 0 && len(s) > it.prec {
		s = s[:it.prec]
	}
	if len(s) >= it.width {
		return s
	}
	fill := strings.Repeat(" ", it.width-len(s))
	switch {
	case it.left:
		return s + fill
	case it.zero:
		return strings.Repeat("0", it.width-len(s)) + s
	}
	return fill + s
}

// param returns the text of one %-parameter.
func param(verb byte, m *mqtt.Message, now time.Time) string {
	p := m.Properties
	if p == nil {
		p = &mqtt.Properties{}
	}
	switch verb {
	case 't':
		return m.Topic
	case 'q':
		return strconv.Itoa(int(m.QoS))
	case 'r':
		if m.Retain {
			return "1"
		}
		return "0"
	case 'l':
		return strconv.Itoa(len(m.Payload))
	case 'm':
		return strconv.Itoa(int(m.PacketID))
	case 'x':
		return hex.EncodeToString(m.Payload)
	case 'X':
		return strings.ToUpper(hex.EncodeToString(m.Payload))
	case 'I':
		return now.Format("2006-01-02T15:04:05-0700")
	case 'U':
		return fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond())
	case 'j', 'J':
		return jsonMessage(m, now, verb == 'J')
	case 'C':
		return deref(p.ContentType)
	case 'R':
		return deref(p.ResponseTopic)
	case 'D':
		return string(p.CorrelationData)
	case 'E':
		if p.MessageExpiry != nil {
			return strconv.FormatUint(uint64(*p.MessageExpiry), 10)
		}
	case 'F':
		if p.PayloadFormat != nil {
			return strconv.Itoa(int(*p.PayloadFormat))
		}
	case 'A':
		if p.TopicAlias != nil {
			return strconv.Itoa(int(*p.TopicAlias))
		}
	case 'S':
		ids := make([]string, len(p.SubscriptionIDs))
		for i, id := range p.SubscriptionIDs {
			ids[i] = strconv.FormatUint(uint64(id), 10)
		}
		return strings.Join(ids, ",")
	case 'P':
		kv := make([]string, len(p.User))
		for i, u := range p.User {
			kv[i] = u.Key + ":" + u.Value
		}
		return strings.Join(kv, " ")
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonMessage renders %j (payload as a JSON string) or %J (payload inserted as JSON, if it
// is valid JSON; else as a string), in mosquitto_sub's layout.
func jsonMessage(m *mqtt.Message, now time.Time, raw bool) string {
	var b strings.Builder
	str := func(s string) string { q, _ := json.Marshal(s); return string(q) }
	fmt.Fprintf(&b, `{"tst":%s,"topic":%s,"qos":%d,"retain":%d,"payloadlen":%d`,
		str(now.Format("2006-01-02T15:04:05.000000")+"Z"+now.Format("-0700")), str(m.Topic), m.QoS, btoi(m.Retain), len(m.Payload))
	if m.QoS > 0 {
		fmt.Fprintf(&b, `,"mid":%d`, m.PacketID)
	}
	if p := m.Properties; p != nil {
		props := map[string]any{}
		if len(p.User) > 0 {
			u := map[string]string{}
			for _, kv := range p.User {
				u[kv.Key] = kv.Value
			}
			props["user-properties"] = u
		}
		if p.ContentType != nil {
			props["content-type"] = *p.ContentType
		}
		if p.ResponseTopic != nil {
			props["response-topic"] = *p.ResponseTopic
		}
		if p.CorrelationData != nil {
			props["correlation-data"] = string(p.CorrelationData)
		}
		if p.MessageExpiry != nil {
			props["message-expiry-interval"] = *p.MessageExpiry
		}
		if p.PayloadFormat != nil {
			props["payload-format-indicator"] = *p.PayloadFormat
		}
		if len(props) > 0 {
			j, _ := json.Marshal(props)
			fmt.Fprintf(&b, `,"properties":%s`, j)
		}
	}
	switch {
	case len(m.Payload) == 0:
		b.WriteString(`,"payload":null}`)
	case raw && json.Valid(m.Payload):
		fmt.Fprintf(&b, `,"payload":%s}`, m.Payload)
	default:
		fmt.Fprintf(&b, `,"payload":%s}`, str(string(m.Payload)))
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// strftime formats one strftime(3) field (the letter after @).
func strftime(c byte, t time.Time) string {
	switch c {
	case 'a':
		return t.Format("Mon")
	case 'A':
		return t.Format("Monday")
	case 'b':
		return t.Format("Jan")
	case 'B':
		return t.Format("January")
	case 'd':
		return t.Format("02")
	case 'e':
		return fmt.Sprintf("%2d", t.Day())
	case 'F':
		return t.Format("2006-01-02")
	case 'H':
		return t.Format("15")
	case 'I':
		return t.Format("03")
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 'm':
		return t.Format("01")
	case 'M':
		return t.Format("04")
	case 'N':
		return fmt.Sprintf("%09d", t.Nanosecond())
	case 'p':
		return t.Format("PM")
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'S':
		return t.Format("05")
	case 'T':
		return t.Format("15:04:05")
	case 'D':
		return t.Format("01/02/06")
	case 'R':
		return t.Format("15:04")
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1)
	case 'w':
		return strconv.Itoa(int(t.Weekday()))
	case 'y':
		return t.Format("06")
	case 'Y':
		return t.Format("2006")
	case 'z':
		return t.Format("-0700")
	case 'Z':
		return t.Format("MST")
	}
	return ""
}
