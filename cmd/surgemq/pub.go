package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

const pubUsage = `surgemq pub publishes messages on a topic and exits (mosquitto_pub compatible).

Usage: surgemq pub {[-h host] [-p port] [-u username] [-P password] -t topic | -L URL}
                   {-f file | -l | -n | -m message | -s}
                   [-c] [-k keepalive] [-q qos] [-r] [--repeat N] [--repeat-delay time] [-x session-expiry]
                   [-A bind_address] [-i id] [-I id_prefix] [-d] [--quiet]
                   [-V 31|311|5|mqttv31|mqttv311|mqttv5] [-D command identifier value]
                   [--will-topic topic [--will-payload payload] [--will-qos qos] [--will-retain]]
                   [--cafile file | --capath dir] [--cert file --key file] [--insecure]
                   [--tls-version tlsv1.2|tlsv1.3] [--tls-use-os-certs]
       surgemq pub --help

 -A : bind the outgoing socket to this address.
 -c : disable clean session (persistent session); needs -i.
 -d : print connection events.
 -D : MQTT 5 property: -D connect|publish|will <name> <value>, or
      -D ... user-property <key> <value>. Implies -V 5.
 -f : send the contents of a file as the message.
 -h : host to connect to. Defaults to localhost.
 -i : client id. Defaults to a random id (3.x) or one assigned by the server (5).
 -I : client id prefix; the process id is appended.
 -k : keepalive in seconds (0 disables). Defaults to 60.
 -L : mqtt(s)://[username[:password]@]host[:port]/topic (also ws:// and wss://).
 -l : read messages from stdin, one message per line.
 -m : message payload to send.
 -n : send a null (zero length) message.
 -p : port. Defaults to 1883, or 8883 with TLS.
 -P : password.
 -q : quality of service, 0, 1 or 2. Defaults to 0.
 -r : retain the message.
 -s : read one message from stdin, the whole input.
 -t : topic to publish to.
 -u : username.
 -V : protocol version. Defaults to 311.
 -x : MQTT 5 session expiry interval in seconds (-1: never).
 --help : print this text.
 --quiet : do not print errors.
 --repeat : publish the -m, -f, -n or -s message N times.
 --repeat-delay : seconds between repeats (fractions allowed).
 --will-topic, --will-payload, --will-qos, --will-retain : the client's will.
 --cafile, --capath : trusted CA certificates; enable TLS.
 --cert, --key : client certificate and key.
 --insecure : do not check the server certificate's host name.
 --tls-version : minimum TLS version.
 --tls-use-os-certs : trust the system's CA certificates; enables TLS.

Exit status: 0 on success; the CONNACK code if the broker refused the connection; 7 if the
connection was lost; 1 for other errors.
`

// pubFlags are the options of surgemq pub.
type pubFlags struct {
	clientFlags
	mode        string // "-m", "-f", "-l", "-n" or "-s".
	message     string
	file        string
	retain      bool
	repeat      int
	repeatDelay time.Duration
}

// parse handles the options only pub has.
func (f *pubFlags) parse(opt string, r *argReader) (bool, error) {
	var err error
	setMode := func(m string) error {
		if f.mode != "" && f.mode != m {
			return usagef("Only one type of message can be sent at once.")
		}
		f.mode = m
		return nil
	}
	switch opt {
	case "-m", "--message":
		if err = setMode("-m"); err == nil {
			f.message, err = r.value(opt, "message")
		}
	case "-f", "--file":
		if err = setMode("-f"); err == nil {
			f.file, err = r.value(opt, "file")
		}
	case "-l", "--stdin-line":
		err = setMode("-l")
	case "-n", "--null-message":
		err = setMode("-n")
	case "-s", "--stdin-file":
		err = setMode("-s")
	case "-r", "--retain":
		f.retain = true
	case "--repeat":
		var n int64
		n, err = r.intValue(opt, "repeat count", 1, 1<<31-1)
		f.repeat = int(n)
	case "--repeat-delay":
		var s string
		if s, err = r.value(opt, "time"); err == nil {
			sec, perr := strconv.ParseFloat(s, 64)
			if perr != nil || sec < 0 {
				return true, usagef("Invalid repeat delay given: %s", s)
			}
			f.repeatDelay = time.Duration(sec * float64(time.Second))
		}
	default:
		return false, nil
	}
	return true, err
}

// check validates pub's options after parsing.
func (f *pubFlags) check() error {
	if len(f.topics) == 0 || f.mode == "" {
		return usagef("Both topic and message must be supplied.")
	}
	if len(f.topics) > 1 {
		return usagef("Duplicate topic argument given.")
	}
	if topic.ValidName(f.topics[0]) != nil {
		return usagef("Invalid publish topic '%s', does it contain '+' or '#'?", f.topics[0])
	}
	if f.repeat > 1 && f.mode == "-l" {
		return usagef("--repeat cannot be used with -l.")
	}
	if f.repeat == 0 {
		f.repeat = 1
	}
	return nil
}

// runPub is "surgemq pub": mosquitto_pub's options and exit codes. args exclude "pub".
func runPub(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := &pubFlags{clientFlags: clientFlags{cmd: "pub"}}
	if code := parseArgs(&f.clientFlags, args, stdout, stderr, pubUsage, f.parse, f.check); code >= 0 {
		return code
	}
	var payload []byte
	var err error
	switch f.mode {
	case "-m":
		payload = []byte(f.message)
	case "-f":
		if payload, err = os.ReadFile(f.file); err != nil {
			f.errorf(stderr, "Unable to read file %q: %v", f.file, err)
			return exitError
		}
	case "-s":
		if payload, err = io.ReadAll(stdin); err != nil {
			f.errorf(stderr, "Unable to read stdin: %v", err)
			return exitError
		}
	}
	opts, err := f.options(stderr)
	if err != nil {
		f.errorf(stderr, "%v", err)
		return exitError
	}
	// A lost connection fails the command instead of queueing messages nobody would send.
	opts.DisableReconnect = true
	c, err := mqtt.Dial(ctx, f.serverURL(), opts)
	if err != nil {
		return f.connectExit(stderr, err)
	}
	pubOpts := []mqtt.PublishOption{f.qos, mqtt.RetainOption(f.retain)}
	if f.hasProps["publish"] {
		pubOpts = append(pubOpts, mqtt.WithProperties(&f.publishProps))
	}
	publish := func(p []byte) error { return c.Publish(ctx, f.topics[0], p, pubOpts...) }
	if f.mode == "-l" {
		err = publishLines(stdin, publish)
	} else {
		err = publishRepeated(ctx, payload, f.repeat, f.repeatDelay, publish)
	}
	code := exitOK
	switch {
	case err == nil, ctx.Err() != nil:
		// Done, or interrupted (SIGINT/SIGTERM): exit quietly, as mosquitto_pub does.
	case errors.Is(err, mqtt.ErrConnectionLost):
		f.errorf(stderr, "Connection lost: %v", err)
		code = exitConnLost
	default:
		f.errorf(stderr, "Publish failed: %v", err)
		code = exitError
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Disconnect(dctx); err != nil && code == exitOK && ctx.Err() == nil {
		f.errorf(stderr, "Disconnect: %v", err)
		code = exitError
	}
	return code
}

// publishLines publishes each line of r (without its "\n"; a last line without one counts),
// empty lines as empty messages, as mosquitto_pub -l does.
func publishLines(r io.Reader, publish func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if perr := publish(line); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
}

// publishRepeated publishes payload n times, delay apart.
func publishRepeated(ctx context.Context, payload []byte, n int, delay time.Duration, publish func([]byte) error) error {
	for i := range n {
		if i > 0 && delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		if err := publish(payload); err != nil {
			return err
		}
	}
	return nil
}
