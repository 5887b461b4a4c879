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
	nc, err := nats.Connect(nats.DefaultURL) // dray up's embedded NATS
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
