package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/lonelyleaf/surgemq/gateway"
)

// runCheckConfig validates a configuration file: "FILE: ok" and exit 0, or every problem
// (FILE:LINE: key: problem) and exit 1.
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("surgemq check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "", "configuration `FILE` to check")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "surgemq check-config: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stderr, "usage: surgemq check-config -c FILE")
		return 2
	}
	if _, err := gateway.Load(*file); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *file)
	return 0
}
