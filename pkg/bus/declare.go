package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// duplicateWindow is how long JetStream remembers a Nats-Msg-Id. Every publish sets a
// deterministic ID, so a message re-sent within this window is stored once.
const duplicateWindow = 10 * time.Minute

// Declare creates or updates every stream, bucket and store of the layout. It is idempotent,
// so every service calls it at start and any may start first.
//
// It creates first and updates only what exists with another configuration: JetStream answers
// a create with an identical configuration without touching the stream, whereas an update
// rewrites the store's configuration even when nothing changed, and nats-server v2.15 races
// that rewrite against consumers being created on the same stream (seen under -race when
// every service of dray up declares at once).
func Declare(ctx context.Context, js jetstream.JetStream, o Options) error {
	replicas := max(o.Replicas, 1)
	maxAge := o.EventsMaxAge
	if maxAge <= 0 {
		maxAge = 7 * 24 * time.Hour
	}
	auditMaxAge := o.AuditMaxAge
	if auditMaxAge <= 0 {
		auditMaxAge = DefaultAuditMaxAge
	}
	streams := []jetstream.StreamConfig{
		{Name: StreamEvents, Subjects: []string{"dray.events.>"}, Retention: jetstream.LimitsPolicy, MaxAge: maxAge},
		{Name: StreamCommands, Subjects: []string{"dray.cmd.>"}, Retention: jetstream.WorkQueuePolicy},
		{Name: StreamSteps, Subjects: []string{"dray.steps.>"}, Retention: jetstream.WorkQueuePolicy},
		{Name: StreamResults, Subjects: []string{"dray.results.>"}, Retention: jetstream.WorkQueuePolicy},
		// The audit trail is only appended to: no deletes or purges through the API, and
		// records leave only by age.
		{Name: StreamAudit, Subjects: []string{"dray.audit.>"}, Retention: jetstream.LimitsPolicy, MaxAge: auditMaxAge,
			DenyDelete: true, DenyPurge: true},
		// Dead letters are for people to look at, so they are kept, but never without bound:
		// a flood of hostile messages drops the oldest records, not the server's disk.
		{Name: StreamDead, Subjects: []string{"dray.dead.>"}, Retention: jetstream.LimitsPolicy,
			MaxMsgs: DeadMaxMsgs, MaxBytes: DeadMaxBytes, MaxAge: DeadMaxAge, Discard: jetstream.DiscardOld},
	}
	for _, cfg := range streams {
		cfg.Replicas = replicas
		cfg.Storage = jetstream.FileStorage
		cfg.Duplicates = duplicateWindow
		_, err := js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			_, err = js.UpdateStream(ctx, cfg)
		}
		if err != nil {
			return fmt.Errorf("declare stream %s: %w", cfg.Name, err)
		}
	}
	buckets := []jetstream.KeyValueConfig{
		{Bucket: BucketResources, Description: "desired resources: <project>.<kind>.<name>", History: 5},
		{Bucket: BucketFreight, Description: "Freight: <project>.<name>"},
		{Bucket: BucketPromotions, Description: "Promotions: <project>.<name>"},
		{Bucket: BucketStages, Description: "Stage status: <project>.<name>"},
		{Bucket: BucketWarehouses, Description: "Warehouse status: <project>.<name>"},
		{Bucket: BucketSecrets, Description: "project secrets, encrypted: <project>.<name>"},
		{Bucket: BucketTokens, Description: "API tokens, hashed: <project>.<name>, _system.<name>", History: 1},
		{Bucket: BucketNotifications, Description: "EventRouter deliveries: <project>.<event id>.<router>.<channel index>",
			History: 1, TTL: NotificationsTTL},
		// Leases are worth nothing after a restart: memory, and expiring with markers that
		// wake their waiters.
		{Bucket: BucketLocks, Description: "leases, e.g. push.<repository and branch hash>", History: 1,
			TTL: LockTTL, LimitMarkerTTL: LockTTL, Storage: jetstream.MemoryStorage},
	}
	for _, cfg := range buckets {
		cfg.Replicas = replicas
		if cfg.Storage != jetstream.MemoryStorage {
			cfg.Storage = jetstream.FileStorage
		}
		_, err := js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			_, err = js.UpdateKeyValue(ctx, cfg)
		}
		if err != nil {
			return fmt.Errorf("declare bucket %s: %w", cfg.Bucket, err)
		}
	}
	objCfg := jetstream.ObjectStoreConfig{
		Bucket:      ObjectWorkspaces,
		Description: "promotion workspaces: <promotion>/<revision>",
		Replicas:    replicas,
		Storage:     jetstream.FileStorage,
	}
	_, err := js.CreateObjectStore(ctx, objCfg)
	if errors.Is(err, jetstream.ErrBucketExists) {
		_, err = js.UpdateObjectStore(ctx, objCfg)
	}
	if err != nil {
		return fmt.Errorf("declare object store %s: %w", ObjectWorkspaces, err)
	}
	return nil
}
