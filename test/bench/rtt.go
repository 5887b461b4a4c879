package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/cmd/dray/allinone"
)

// jetStreamRoundTrip measures what one step costs at the least: a job published to a
// work-queue stream, consumed by a worker on its own connection, which publishes a reply to
// a second stream that the requester consumes. Both sides ack, as Dray's do.
func jetStreamRoundTrip(ctx context.Context, in *allinone.Instance, n int) ([]time.Duration, error) {
	connect := func() (jetstream.JetStream, *nats.Conn, error) {
		nc, err := in.Connect("test")
		if err != nil {
			return nil, nil, err
		}
		js, err := jetstream.New(nc)
		return js, nc, err
	}
	reqJS, reqNC, err := connect()
	if err != nil {
		return nil, err
	}
	defer reqNC.Close()
	workJS, workNC, err := connect()
	if err != nil {
		return nil, err
	}
	defer workNC.Close()
	for _, s := range []string{"BENCH_JOBS", "BENCH_REPLIES"} {
		if _, err := reqJS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: s, Subjects: []string{"bench." + s}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		}); err != nil {
			return nil, err
		}
	}
	consumer := func(js jetstream.JetStream, stream string) (jetstream.MessagesContext, error) {
		c, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: "bench", AckPolicy: jetstream.AckExplicitPolicy})
		if err != nil {
			return nil, err
		}
		return c.Messages()
	}
	jobs, err := consumer(workJS, "BENCH_JOBS")
	if err != nil {
		return nil, err
	}
	defer jobs.Stop()
	replies, err := consumer(reqJS, "BENCH_REPLIES")
	if err != nil {
		return nil, err
	}
	defer replies.Stop()
	go func() {
		for {
			m, err := jobs.Next()
			if err != nil {
				return
			}
			_, _ = workJS.Publish(ctx, "bench.BENCH_REPLIES", m.Data(), jetstream.WithMsgID("reply-"+string(m.Data())))
			_ = m.Ack()
		}
	}()
	out := make([]time.Duration, 0, n)
	for i := range n + 20 {
		id := strconv.Itoa(i)
		start := time.Now()
		if _, err := reqJS.Publish(ctx, "bench.BENCH_JOBS", []byte(id), jetstream.WithMsgID("job-"+id)); err != nil {
			return nil, err
		}
		m, err := replies.Next()
		if err != nil {
			return nil, err
		}
		if string(m.Data()) != id {
			return nil, fmt.Errorf("reply %q to job %q", m.Data(), id)
		}
		_ = m.Ack()
		if i >= 20 { // warm-up
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}
