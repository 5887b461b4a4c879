package secret

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// Store keeps Secrets in a KV bucket (dray-secrets), under <project>.<name>, each sealed with
// AES-256-GCM. The key never leaves the processes that hold it; the bucket alone reveals
// only which secrets exist. A Store is safe for concurrent use.
type Store struct {
	kv   jetstream.KeyValue
	aead cipher.AEAD
	// jobs seals step jobs' configs (SealJob), under a key derived from the same secrets key.
	jobs cipher.AEAD
	// workspace encrypts workspace revisions (WorkspaceKey), derived from the secrets key.
	workspace []byte

	mu sync.Mutex
	// listings holds each project's last listing, sealed, with the bucket's last sequence
	// when it was read: while that sequence stands, nothing was put or deleted since.
	listings map[string]listing
}

// listing is a project's sealed Secrets, by key, as read at bucket sequence seq or later.
type listing struct {
	seq    uint64
	sealed map[string][]byte
}

// maxListings bounds Store.listings; past it the kept listings are dropped.
const maxListings = 256

// NewStore returns a Store over kv, sealing with key (KeySize bytes).
func NewStore(kv jetstream.KeyValue, key []byte) (*Store, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets key: want %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	jobs, err := newJobAEAD(key)
	if err != nil {
		return nil, err
	}
	ws, err := newWorkspaceKey(key)
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv, aead: aead, jobs: jobs, workspace: ws, listings: map[string]listing{}}, nil
}

func key(project, name string) string { return project + "." + name }

// Put stores s under its namespace and name, merging StringData into Data as Kubernetes does.
// It reports whether the stored secret is new, changed or unchanged.
func (st *Store) Put(ctx context.Context, s *v1.Secret) (result string, err error) {
	merged := *s
	merged.Data = maps.Clone(s.Data)
	if merged.Data == nil && len(s.StringData) > 0 {
		merged.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		merged.Data[k] = []byte(v)
	}
	merged.StringData = nil
	plain, err := json.Marshal(&merged)
	if err != nil {
		return "", err
	}
	k := key(s.Metadata.Namespace, s.Metadata.Name)
	result = "created"
	if old, err := st.get(ctx, k); err != nil {
		return "", err
	} else if old != nil {
		if oldPlain, _ := json.Marshal(old); string(oldPlain) == string(plain) {
			return "unchanged", nil
		}
		result = "configured"
	}
	nonce := make([]byte, st.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := st.aead.Seal(nonce, nonce, plain, []byte(k))
	if err := bus.RetryWithin(ctx, 0, func(ctx context.Context) error { _, err := st.kv.Put(ctx, k, sealed); return err }); err != nil {
		return "", fmt.Errorf("store secret %s: %w", k, err)
	}
	return result, nil
}

// Get returns the project's secret name, or nil when there is none.
func (st *Store) Get(ctx context.Context, project, name string) (*v1.Secret, error) {
	return st.get(ctx, key(project, name))
}

func (st *Store) get(ctx context.Context, k string) (*v1.Secret, error) {
	e, err := st.kvGet(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", k, err)
	}
	return st.open(k, e.Value())
}

// kvGet reads k, retrying through a leader election of the bucket's stream (bus.RetryWithin):
// a step that looks up credentials then must not fail.
func (st *Store) kvGet(ctx context.Context, k string) (jetstream.KeyValueEntry, error) {
	var e jetstream.KeyValueEntry
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) (err error) { e, err = st.kv.Get(ctx, k); return err })
	return e, err
}

func (st *Store) open(k string, sealed []byte) (*v1.Secret, error) {
	n := st.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("secret %s is damaged", k)
	}
	plain, err := st.aead.Open(nil, sealed[:n], sealed[n:], []byte(k))
	if err != nil {
		return nil, fmt.Errorf("secret %s cannot be decrypted with this key: was it stored with another --secrets-key-file?", k)
	}
	var s v1.Secret
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("secret %s: %w", k, err)
	}
	return &s, nil
}

// Data returns the values of the project's secret name as text, or nil when there is none.
func (st *Store) Data(ctx context.Context, project, name string) (map[string]string, error) {
	s, err := st.Get(ctx, project, name)
	if s == nil || err != nil {
		return nil, err
	}
	return textData(s), nil
}

func textData(s *v1.Secret) map[string]string { return Values(s) }

// Values returns a Secret's values as text: Data, with StringData winning, as Kubernetes
// merges them on apply.
func Values(s *v1.Secret) map[string]string {
	out := make(map[string]string, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

// List returns the project's secrets, sorted by name.
//
// Listing keys is costly in JetStream (a consumer is made for it) and every git, Helm and
// registry operation looks up credentials, so the Store keeps the project's last listing
// and reuses it while the bucket's last sequence — one stream info request away — shows no
// put or delete since. Listings are kept sealed and opened on each call.
func (st *Store) List(ctx context.Context, project string) ([]*v1.Secret, error) {
	seq, err := st.lastSeq(ctx)
	if err != nil {
		return nil, err
	}
	return st.list(ctx, project, seq)
}

// lastSeq returns the sequence of the bucket's last put or delete.
func (st *Store) lastSeq(ctx context.Context) (uint64, error) {
	var status jetstream.KeyValueStatus
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) (err error) { status, err = st.kv.Status(ctx); return err })
	if err != nil {
		return 0, fmt.Errorf("read the secrets bucket's state: %w", err)
	}
	bs, ok := status.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, fmt.Errorf("read the secrets bucket's state: unexpected status %T", status)
	}
	return bs.StreamInfo().State.LastSeq, nil
}

// list returns the project's secrets, sorted by name, from the kept listing when it was read
// at bucket sequence seq, else from the bucket.
func (st *Store) list(ctx context.Context, project string, seq uint64) ([]*v1.Secret, error) {
	st.mu.Lock()
	l, ok := st.listings[project]
	st.mu.Unlock()
	if !ok || l.seq != seq {
		var err error
		if l, err = st.read(ctx, project, seq); err != nil {
			return nil, err
		}
		st.mu.Lock()
		if len(st.listings) >= maxListings {
			clear(st.listings)
		}
		st.listings[project] = l
		st.mu.Unlock()
	}
	out := make([]*v1.Secret, 0, len(l.sealed))
	for k, sealed := range l.sealed {
		s, err := st.open(k, sealed)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *v1.Secret) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	return out, nil
}

// read lists the project's sealed secrets from the bucket, after its sequence was seq.
func (st *Store) read(ctx context.Context, project string, seq uint64) (listing, error) {
	l := listing{seq: seq, sealed: map[string][]byte{}}
	var keys []string
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) error {
		lister, err := st.kv.ListKeysFiltered(ctx, key(project, "*"))
		if err != nil {
			return err
		}
		keys = keys[:0]
		for k := range lister.Keys() {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return l, fmt.Errorf("list secrets of %s: %w", project, err)
	}
	for _, k := range keys {
		e, err := st.kvGet(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return l, fmt.Errorf("read secret %s: %w", k, err)
		}
		l.sealed[k] = e.Value()
	}
	return l, nil
}

// Delete removes the project's secret name; a missing one is not an error.
func (st *Store) Delete(ctx context.Context, project, name string) error {
	err := bus.RetryWithin(ctx, 0, func(ctx context.Context) error { return st.kv.Delete(ctx, key(project, name)) })
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete secret %s.%s: %w", project, name, err)
	}
	return nil
}

// Summary describes s without its values.
func Summary(s *v1.Secret) v1.SecretSummary {
	keys := slices.Sorted(maps.Keys(s.Data))
	for k := range s.StringData {
		if _, dup := s.Data[k]; !dup {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return v1.SecretSummary{Project: s.Metadata.Namespace, Name: s.Metadata.Name, Type: s.Type, Labels: s.Metadata.Labels, Keys: keys}
}

// SharedData returns the values of the shared secret name for sharedSecret(): only a secret
// labelled kargo.akuity.io/cred-type: generic is shared with templates; for any other, and for
// none, it returns nil.
func (st *Store) SharedData(ctx context.Context, name string) (map[string]string, error) {
	s, err := st.Get(ctx, v1.SharedProject, name)
	if s == nil || err != nil || s.Metadata.Labels[v1.LabelCredType] != TypeGeneric {
		return nil, err
	}
	return textData(s), nil
}
