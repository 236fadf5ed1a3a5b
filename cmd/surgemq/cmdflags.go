package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Exit codes shared with mosquitto_pub and mosquitto_sub. A refused CONNACK exits with its
// code (1–5 for 3.x, 128 and up for 5.0); other errors use libmosquitto's error numbers.
const (
	exitOK       = 0
	exitError    = 1  // Usage errors, unreachable broker, other failures.
	exitConnLost = 7  // MOSQ_ERR_CONN_LOST.
	exitTimeout  = 27 // MOSQ_ERR_TIMEOUT: sub -W expired.
)

// clientFlags are the connection options common to pub and sub.
type clientFlags struct {
	cmd       string // "pub" or "sub", for messages.
	host      string
	port      int
	bind      string
	rawURL    string // -L
	id        string
	idPrefix  string
	username  string
	password  *string
	keep      int
	keepGiven bool // -k 0 disables keepalive; no -k means 60 s.
	version   mqtt.Version
	qos       mqtt.QoS
	persist   bool // -c
	expiry    *int64
	debug     bool
	quiet     bool
	topics    []string

	cafile, capath, cert, key string
	insecure, osCerts         bool
	tlsVersion                string

	willTopic   string
	willPayload string
	willQoS     mqtt.QoS
	willRetain  bool

	connectProps mqtt.Properties
	publishProps mqtt.Properties
	willProps    mqtt.Properties
	hasProps     map[string]bool // -D commands used.
}

// usageError is a command-line mistake: printed with a pointer to --help, exit code 1.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errHelp asks for the usage text.
var errHelp = errors.New("help requested")

// argReader walks the command line, mosquitto style: every option is a separate argument and
// its value, if any, the next one.
type argReader struct {
	args []string
	i    int
}

func (r *argReader) next() (string, bool) {
	if r.i >= len(r.args) {
		return "", false
	}
	r.i++
	return r.args[r.i-1], true
}

// value returns the value of option opt.
func (r *argReader) value(opt, what string) (string, error) {
	v, ok := r.next()
	if !ok {
		return "", usagef("%s argument given but no %s specified.", opt, what)
	}
	return v, nil
}

// intValue returns the integer value of opt within [lo, hi].
func (r *argReader) intValue(opt, what string, lo, hi int64) (int64, error) {
	s, err := r.value(opt, what)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, usagef("Invalid %s given: %s", what, s)
	}
	return n, nil
}

// parseCommon handles an option shared by pub and sub. It reports false for an option it
// does not know.
func (f *clientFlags) parseCommon(opt string, r *argReader) (bool, error) {
	var err error
	var n int64
	switch opt {
	case "-h", "--host":
		f.host, err = r.value(opt, "host")
	case "-p", "--port":
		n, err = r.intValue(opt, "port", 1, 65535)
		f.port = int(n)
	case "-A":
		f.bind, err = r.value(opt, "address")
	case "-L", "--url":
		f.rawURL, err = r.value(opt, "URL")
	case "-i", "--id":
		f.id, err = r.value(opt, "id")
	case "-I", "--id-prefix":
		f.idPrefix, err = r.value(opt, "id prefix")
	case "-u", "--username":
		f.username, err = r.value(opt, "username")
	case "-P", "--pw":
		var pw string
		pw, err = r.value(opt, "password")
		f.password = &pw
	case "-k", "--keepalive":
		n, err = r.intValue(opt, "keepalive", 0, 65535)
		f.keep = int(n)
	case "-V", "--protocol-version":
		var v string
		if v, err = r.value(opt, "protocol version"); err == nil {
			switch v {
			case "31", "mqttv31":
				f.version = mqtt.V31
			case "311", "mqttv311":
				f.version = mqtt.V311
			case "5", "mqttv5":
				f.version = mqtt.V5
			default:
				err = usagef("Invalid protocol version argument given.")
			}
		}
	case "-q", "--qos":
		n, err = r.intValue(opt, "QoS", 0, 2)
		f.qos = mqtt.QoS(n)
	case "-t", "--topic":
		var t string
		t, err = r.value(opt, "topic")
		f.topics = append(f.topics, t)
	case "-c", "--disable-clean-session":
		f.persist = true
	case "-x":
		var s string
		if s, err = r.value(opt, "session expiry interval"); err == nil {
			if s == "-1" || s == "∞" {
				s = "4294967295"
			}
			e, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil || e < 0 || e > 4294967295 {
				err = usagef("Invalid session expiry interval given: %s", s)
			}
			f.expiry = &e
		}
	case "-d", "--debug":
		f.debug = true
	case "--quiet":
		f.quiet = true
	case "--nodelay":
		// Go sets TCP_NODELAY on every connection already.
	case "--cafile":
		f.cafile, err = r.value(opt, "file")
	case "--capath":
		f.capath, err = r.value(opt, "path")
	case "--cert":
		f.cert, err = r.value(opt, "file")
	case "--key":
		f.key, err = r.value(opt, "file")
	case "--insecure":
		f.insecure = true
	case "--tls-use-os-certs":
		f.osCerts = true
	case "--tls-version":
		f.tlsVersion, err = r.value(opt, "TLS version")
	case "--will-topic":
		f.willTopic, err = r.value(opt, "will topic")
	case "--will-payload":
		f.willPayload, err = r.value(opt, "will payload")
	case "--will-qos":
		n, err = r.intValue(opt, "will QoS", 0, 2)
		f.willQoS = mqtt.QoS(n)
	case "--will-retain":
		f.willRetain = true
	case "-D", "--property":
		err = f.parseProperty(r)
	case "--help":
		return true, errHelp
	default:
		return false, nil
	}
	return true, err
}

// parseProperty handles -D command identifier [name] value (MQTT 5 properties).
func (f *clientFlags) parseProperty(r *argReader) error {
	cmd, ok1 := r.next()
	id, ok2 := r.next()
	if !ok1 || !ok2 {
		return usagef("-D argument given but no property specified.")
	}
	cmd = strings.ToLower(cmd)
	var p *mqtt.Properties
	switch cmd {
	case "connect":
		p = &f.connectProps
	case "publish":
		if f.cmd != "pub" {
			return usagef("-D publish is only valid for pub.")
		}
		p = &f.publishProps
	case "will":
		p = &f.willProps
	default:
		return usagef("Invalid or unsupported property command %q (supported: connect, publish, will).", cmd)
	}
	val, ok := r.next()
	if !ok {
		return usagef("-D %s %s given but no value specified.", cmd, id)
	}
	u32 := func() (*uint32, error) {
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return nil, usagef("Invalid %s value %q.", id, val)
		}
		return new(uint32(n)), nil
	}
	u16 := func() (*uint16, error) {
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil {
			return nil, usagef("Invalid %s value %q.", id, val)
		}
		return new(uint16(n)), nil
	}
	u8 := func() (*byte, error) {
		n, err := strconv.ParseUint(val, 10, 8)
		if err != nil || n > 1 {
			return nil, usagef("Invalid %s value %q.", id, val)
		}
		return new(byte(n)), nil
	}
	var err error
	switch id {
	case "user-property":
		v, ok := r.next()
		if !ok {
			return usagef("-D %s user-property given but no value specified.", cmd)
		}
		p.User = append(p.User, mqtt.UserProperty{Key: val, Value: v})
	case "content-type":
		p.ContentType = new(val)
	case "response-topic":
		p.ResponseTopic = new(val)
	case "correlation-data":
		p.CorrelationData = []byte(val)
	case "payload-format-indicator":
		p.PayloadFormat, err = u8()
	case "message-expiry-interval":
		p.MessageExpiry, err = u32()
	case "will-delay-interval":
		p.WillDelay, err = u32()
	case "session-expiry-interval":
		p.SessionExpiry, err = u32()
	case "receive-maximum":
		p.ReceiveMaximum, err = u16()
	case "maximum-packet-size":
		p.MaximumPacketSize, err = u32()
	case "topic-alias-maximum":
		p.TopicAliasMaximum, err = u16()
	case "request-problem-information":
		p.RequestProblemInfo, err = u8()
	case "request-response-information":
		p.RequestResponseInfo, err = u8()
	default:
		return usagef("Invalid or unsupported property %q.", id)
	}
	if f.hasProps == nil {
		f.hasProps = make(map[string]bool)
	}
	f.hasProps[cmd] = true
	f.version = mqtt.V5 // As mosquitto: -D makes the client speak MQTT 5.
	return err
}

// finish validates the common flags after parsing.
func (f *clientFlags) finish() error {
	if f.rawURL != "" {
		u, err := url.Parse(f.rawURL)
		if err != nil || u.Host == "" {
			return usagef("Invalid URL for -L argument specified - %s", f.rawURL)
		}
		switch u.Scheme {
		case "mqtt", "mqtts":
			if t := strings.TrimPrefix(u.Path, "/"); t != "" {
				f.topics = append(f.topics, t)
			}
		case "ws", "wss":
		default:
			return usagef("Unsupported protocol specified in URL %q (mqtt, mqtts, ws, wss).", u.Scheme)
		}
		if u.User != nil && f.username == "" {
			f.username = u.User.Username()
			if pw, ok := u.User.Password(); ok && f.password == nil {
				f.password = &pw
			}
		}
	}
	if f.password != nil && f.username == "" && f.version != mqtt.V5 {
		return usagef("-P given without -u.")
	}
	if f.id != "" && f.idPrefix != "" {
		return usagef("-i and -I argument cannot be used together.")
	}
	if f.persist && f.id == "" && f.idPrefix == "" {
		return usagef("You must provide a client id if you are using the -c option.")
	}
	if f.version == mqtt.V31 && len(f.id) > 23 {
		return usagef("Client id %q is longer than 23 bytes, not allowed with MQTT 3.1.", f.id)
	}
	if f.willTopic == "" && (f.willPayload != "" || f.willRetain) {
		return usagef("Will payload or retain given, but no will topic given.")
	}
	if f.bind != "" && net.ParseIP(f.bind) == nil {
		return usagef("Invalid bind address %q: an IP address is needed.", f.bind)
	}
	if (f.cert == "") != (f.key == "") {
		return usagef("Both certificate and key must be provided if one of them is given.")
	}
	return nil
}

// serverURL returns the URL to dial: -L as given (without credentials and topic), or built
// from -h and -p, with mqtts:// when a TLS option is set or the port is 8883.
func (f *clientFlags) serverURL() string {
	if f.rawURL != "" {
		u, _ := url.Parse(f.rawURL)
		u.User = nil
		if u.Scheme == "mqtt" || u.Scheme == "mqtts" {
			u.Path = ""
		}
		return u.String()
	}
	port := f.port
	useTLS := f.cafile != "" || f.capath != "" || f.cert != "" || f.osCerts || f.insecure
	if port == 0 {
		port = 1883
		if useTLS {
			port = 8883
		}
	}
	scheme := "mqtt"
	if useTLS || port == 8883 {
		scheme = "mqtts"
	}
	host := f.host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// options builds the client options.
func (f *clientFlags) options(stderr io.Writer) (mqtt.Options, error) {
	o := mqtt.Options{
		ClientID:    f.id,
		Version:     f.version,
		Username:    f.username,
		KeepSession: f.persist,
	}
	if f.password != nil {
		o.Password = []byte(*f.password)
	}
	switch {
	case f.idPrefix != "":
		o.ClientID = fmt.Sprintf("%s%d", f.idPrefix, os.Getpid())
	case o.ClientID == "" && o.Version != mqtt.V5:
		// As mosquitto: 3.x gets a random id, 5.0 lets the server assign one.
		o.ClientID = "surgemq-" + rand.Text()[:15]
	}
	switch {
	case f.keep == 0 && f.keepGiven:
		o.KeepAlive = -1
	case f.keep > 0:
		o.KeepAlive = time.Duration(f.keep) * time.Second
	}
	if f.expiry != nil && *f.expiry > 0 {
		o.SessionExpiry = time.Duration(*f.expiry) * time.Second
	}
	if f.hasProps["connect"] {
		o.ConnectProperties = &f.connectProps
	}
	if f.willTopic != "" {
		o.Will = &mqtt.Message{Topic: f.willTopic, Payload: []byte(f.willPayload), QoS: f.willQoS, Retain: f.willRetain}
		if f.hasProps["will"] {
			o.Will.Properties = &f.willProps
		}
	}
	if f.bind != "" {
		o.Dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(f.bind)}}
	}
	tc, err := f.tlsConfig()
	if err != nil {
		return o, err
	}
	o.TLSConfig = tc
	if f.debug {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o, nil
}

// tlsConfig builds the TLS configuration from --cafile, --capath, --cert, --key,
// --insecure and --tls-version; nil when none is given.
func (f *clientFlags) tlsConfig() (*tls.Config, error) {
	if f.cafile == "" && f.capath == "" && f.cert == "" && !f.insecure && f.tlsVersion == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch f.tlsVersion {
	case "", "tlsv1.2":
	case "tlsv1.3":
		tc.MinVersion = tls.VersionTLS13
	case "tlsv1.1":
		tc.MinVersion = tls.VersionTLS11
	default:
		return nil, usagef("Invalid TLS version %q (tlsv1.1, tlsv1.2, tlsv1.3).", f.tlsVersion)
	}
	if f.cafile != "" || f.capath != "" {
		pool := x509.NewCertPool()
		files := []string{}
		if f.cafile != "" {
			files = append(files, f.cafile)
		}
		if f.capath != "" {
			for _, pat := range []string{"*.crt", "*.pem"} {
				m, _ := filepath.Glob(filepath.Join(f.capath, pat))
				files = append(files, m...)
			}
		}
		for _, name := range files {
			pem, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("load CA certificates: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("load CA certificates: no PEM certificate in %s", name)
			}
		}
		tc.RootCAs = pool
	}
	if f.cert != "" {
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if f.insecure {
		// As mosquitto's --insecure: the chain is still verified, the host name is not.
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return tc, nil
}

// errorf prints "Error: …" unless --quiet.
func (f *clientFlags) errorf(stderr io.Writer, format string, args ...any) {
	if !f.quiet {
		fmt.Fprintf(stderr, "Error: "+format+"\n", args...)
	}
}

// connectExit reports a failed connection the way mosquitto does and returns its exit code:
// the CONNACK code for a refusal, 1 otherwise.
func (f *clientFlags) connectExit(stderr io.Writer, err error) int {
	var code packet.Code
	if errors.As(err, &code) && errors.Is(err, mqtt.ErrRefused) {
		v := f.version
		if v == 0 {
			v = mqtt.V311
		}
		rc := packet.ConnackCode(code, v)
		if !f.quiet {
			if v < mqtt.V5 {
				fmt.Fprintf(stderr, "Connection error: Connection Refused: %s.\n", connackText(rc))
			} else {
				fmt.Fprintf(stderr, "Connection error: %s\n", code.Reason)
			}
		}
		return int(rc)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		f.errorf(stderr, "Connection refused")
	case errors.Is(err, context.DeadlineExceeded):
		f.errorf(stderr, "Connection timed out (%v)", err)
	default:
		f.errorf(stderr, "%v", err)
	}
	return exitError
}

// connackText is mosquitto's wording of the 3.x CONNACK return codes.
func connackText(rc byte) string {
	switch rc {
	case packet.ConnRefusedVersion:
		return "unacceptable protocol version"
	case packet.ConnRefusedIdentifier:
		return "identifier rejected"
	case packet.ConnRefusedUnavailable:
		return "broker unavailable"
	case packet.ConnRefusedBadCredentials:
		return "bad user name or password"
	case packet.ConnRefusedNotAuthorized:
		return "not authorised"
	}
	return fmt.Sprintf("code %d", rc)
}

// parseArgs runs the option parser shared by pub and sub: specific handles the options of
// one command. It prints usage errors and returns the exit code to use, or -1 to go on.
func parseArgs(f *clientFlags, args []string, stdout, stderr io.Writer, usage string,
	specific func(opt string, r *argReader) (bool, error), finish func() error) int {
	r := &argReader{args: args}
	var err error
	for err == nil {
		opt, ok := r.next()
		if !ok {
			break
		}
		var known bool
		if opt == "-k" || opt == "--keepalive" {
			f.keepGiven = true
		}
		if known, err = f.parseCommon(opt, r); !known && err == nil {
			if known, err = specific(opt, r); !known && err == nil {
				err = usagef("Unknown option '%s'.", opt)
			}
		}
	}
	if err == nil {
		if err = f.finish(); err == nil {
			err = finish()
		}
	}
	switch {
	case err == nil:
		return -1
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "Error: %v\n\nUse 'surgemq %s --help' to see usage.\n", err, f.cmd)
		return exitError
	}
}
