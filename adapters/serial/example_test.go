package serial_test

import (
	"fmt"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/lonelyleaf/surgemq/adapters/serial"
)

// Decoding a [[serial]] table over the defaults, as the gateway does, and the topics the port
// will use.
func Example_config() {
	cfg := serial.DefaultConfig()
	doc := `
name = "gps"
path = "/dev/serial/by-id/usb-u-blox_GNSS-if00"
baud = 38400
`
	dec := toml.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		fmt.Println(err)
		return
	}
	p, err := serial.New(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rx, tx, state := p.Topics()
	fmt.Println(rx)
	fmt.Println(tx)
	fmt.Println(state)
	fmt.Println(cfg.Framing, cfg.Encoding, cfg.Baud)
	// Output:
	// surgemq/serial/gps/rx
	// surgemq/serial/gps/tx
	// surgemq/serial/gps/state
	// line text 38400
}
