package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lonelyleaf/surgemq/cmd/surgemq/internal/bench"
)

// runBench runs the MQTT load generator: surgemq bench [-scenario 1to1|fanin|fanout|mesh|
// idle|conn] [-addr ADDR] [-clients N] [-qos Q] [-json] … ("surgemq bench -h" lists all).
// It prints the report on stdout and a progress line on stderr when stderr is a terminal.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := bench.ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if errors.Is(err, bench.ErrConfig) {
			fmt.Fprintf(stderr, "surgemq bench: %v\n", err)
		} // else the flag package has printed the error and the usage
		return 2
	}
	if isTerminal(stderr) {
		o.Config.Progress = stderr
	}
	rep, err := bench.Run(ctx, o.Config)
	if err != nil {
		fmt.Fprintf(stderr, "surgemq bench: %v\n", err)
		return 1
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "surgemq bench: %v\n", err)
		return 1
	}
	return 0
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
