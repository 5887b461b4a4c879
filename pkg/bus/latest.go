package bus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// GetLatestJSON reads key from kv as GetJSON does, but from the bucket's stream leader when
// the bucket is replicated, so it sees every write acknowledged before the call.
//
// Buckets allow direct gets, which any replica answers, and a replica answers while it is
// still catching up (nats-server serves them from 90% in sync, e.g. a node that just
// rejoined) or applying the last writes. A service that decides from a read that nothing
// needs doing — the scheduler after a promotion event, the state service before recording a
// result, an executor before running a job — reads with this, or it may drop work for good.
// On one server it is GetJSON.
func (b *Bus) GetLatestJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("read from %s: %w", kv.Bucket(), err)
	}
	if b.replicas <= 1 {
		return b.GetJSON(ctx, kv, key, v)
	}
	bucket := kv.Bucket()
	req, err := json.Marshal(map[string]string{"last_by_subj": "$KV." + bucket + "." + key})
	if err != nil {
		return 0, err
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Header []byte `json:"hdrs"`
			Data   []byte `json:"data"`
			Seq    uint64 `json:"seq"`
		} `json:"message"`
	}
	err = b.Retry(ctx, func(ctx context.Context) error {
		// STREAM.MSG.GET is answered by the stream leader only, unlike DIRECT.GET.
		reply, err := b.Conn.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
		if err != nil {
			return err
		}
		resp.Error, resp.Message = nil, nil
		if err := json.Unmarshal(reply.Data, &resp); err != nil {
			return fmt.Errorf("decode JetStream answer: %w", err)
		}
		if resp.Error != nil && resp.Error.ErrorCode != jetstream.JSErrCodeMessageNotFound {
			return resp.Error
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read %s from %s: %w", key, bucket, err)
	}
	if resp.Message == nil {
		return 0, fmt.Errorf("read %s from %s: %w", key, bucket, jetstream.ErrKeyNotFound)
	}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return 0, fmt.Errorf("read %s from %s: decode headers: %w", key, bucket, err)
		}
		if op := h.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			return 0, fmt.Errorf("read %s from %s: %w", key, bucket, jetstream.ErrKeyNotFound)
		}
	}
	if err := json.Unmarshal(resp.Message.Data, v); err != nil {
		return 0, fmt.Errorf("decode %s from %s: %w", key, bucket, err)
	}
	return resp.Message.Seq, nil
}
