// Command subscribe prints every Dray event of a project as it happens:
//
//	go run ./examples/subscribe guestbook
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	// dray up's embedded NATS takes clients with credentials: its admin's nkey seed, or the
	// seed file $DRAY_NATS_NKEY names.
	seed := os.Getenv("DRAY_NATS_NKEY")
	if seed == "" {
		seed = ".dray/nats-admin.nk"
	}
	auth, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		log.Fatal(err)
	}
	nc, err := nats.Connect(nats.DefaultURL, auth)
	if err != nil {
		log.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	cons, err := js.OrderedConsumer(context.Background(), "DRAY_EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"dray.events." + os.Args[1] + ".>"},
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = cons.Consume(func(m jetstream.Msg) {
		var e struct {
			Type, Subject string
			Data          json.RawMessage
		}
		_ = json.Unmarshal(m.Data(), &e)
		fmt.Println(e.Type, e.Subject, string(e.Data))
	})
	if err != nil {
		log.Fatal(err)
	}
	select {}
}
