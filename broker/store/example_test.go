package store_test

import (
	"fmt"
	"log"
	"os"

	"github.com/lonelyleaf/surgemq/broker/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, _, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncAlways})
	if err != nil {
		log.Fatal(err)
	}
	// A persistent session subscribes; a QoS 1 message arrives for it while it is offline.
	_ = s.PutSession("sensor-gw", 3600, []store.Subscription{{Filter: "cmd/#", QoS: 1}})
	_ = s.SessionDisconnected("sensor-gw", 1700000000)
	id, _ := s.PutMessage(store.Message{Topic: "cmd/reboot", Payload: []byte("now"), QoS: 1})
	_ = s.Enqueue("sensor-gw", store.Queued{Msg: id, QoS: 1})
	if err := s.Sync(); err != nil { // durable: the PUBACK may go out
		log.Fatal(err)
	}
	_ = s.Close()

	// After a restart (or a power cut) the session and its queue are back; the payload is
	// read from disk when needed.
	s, st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	sess := st.Sessions[0]
	m, _ := s.Message(sess.Queue[0].Msg)
	fmt.Println(sess.ClientID, sess.Subs[0].Filter, m.Topic, string(m.Payload))
	// Output: sensor-gw cmd/# cmd/reboot now
}
