package broker

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mosquittoTool returns the path of a mosquitto client tool or skips the test.
func mosquittoTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install mosquitto-clients): %v", name, err)
	}
	return p
}

// Debian's mosquitto_pub and mosquitto_sub talk to the broker as 3.1 and 3.1.1 clients.
func TestMosquittoClients(t *testing.T) {
	pub := mosquittoTool(t, "mosquitto_pub")
	sub := mosquittoTool(t, "mosquitto_sub")
	b := startBroker(t, Options{})
	host, port, err := net.SplitHostPort(b.addr)
	require.NoError(t, err)

	for _, v := range []string{"mqttv31", "mqttv311"} {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			topic := "mosq/" + v
			// A retained message first, then a live one after the subscription is in place.
			out, err := exec.CommandContext(ctx, pub, "-h", host, "-p", port, "-V", v, "-q", "1", "-r",
				"-t", topic+"/retained", "-m", "kept").CombinedOutput()
			require.NoError(t, err, "%s", out)

			before := b.Stats().Subscriptions
			var stdout bytes.Buffer
			cmd := exec.CommandContext(ctx, sub, "-h", host, "-p", port, "-V", v, "-q", "2", "-v",
				"-t", topic+"/#", "-C", "3", "-W", "10")
			cmd.Stdout, cmd.Stderr = &stdout, &stdout
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { return b.Stats().Subscriptions > before }, waitTimeout, 5*time.Millisecond)

			for _, q := range []string{"1", "2"} {
				out, err := exec.CommandContext(ctx, pub, "-h", host, "-p", port, "-V", v, "-q", q,
					"-t", topic+"/live", "-m", "qos"+q).CombinedOutput()
				require.NoError(t, err, "%s", out)
			}
			require.NoError(t, cmd.Wait(), "%s", stdout.String())
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Equal(t, []string{topic + "/retained kept", topic + "/live qos1", topic + "/live qos2"}, lines)
		})
	}
}
