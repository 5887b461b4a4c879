package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
)

// PolicyIndex keeps every project's declared roles (ServiceAccount, Role and RoleBinding
// resources) as a Policy, following dray-resources, so authorizing a request reads no NATS.
// It is safe for concurrent use.
type PolicyIndex struct {
	mu sync.RWMutex
	// objs holds each project's access-control resources by key; built the policies made
	// from them, rebuilt when one changes.
	objs  map[string]map[string][]byte
	built map[string]*Policy
}

// WatchPolicies loads the access-control resources of kv (dray-resources) and follows them
// until ctx ends. It returns once they are loaded.
func WatchPolicies(ctx context.Context, kv jetstream.KeyValue) (*PolicyIndex, error) {
	var keys []string
	for _, k := range []string{v1.KindServiceAccount, v1.KindRole, v1.KindRoleBinding} {
		keys = append(keys, "*."+k+".*")
	}
	w, err := kv.WatchFiltered(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("watch roles: %w", err)
	}
	ix := &PolicyIndex{objs: map[string]map[string][]byte{}, built: map[string]*Policy{}}
	if err := bus.Follow(ctx, w, ix.apply); err != nil {
		return nil, err
	}
	return ix, nil
}

func (ix *PolicyIndex) apply(e jetstream.KeyValueEntry) {
	project, _, _ := strings.Cut(e.Key(), ".")
	ix.mu.Lock()
	defer ix.mu.Unlock()
	objs := ix.objs[project]
	if objs == nil {
		objs = map[string][]byte{}
		ix.objs[project] = objs
	}
	if e.Operation() == jetstream.KeyValuePut {
		objs[e.Key()] = e.Value()
	} else {
		delete(objs, e.Key())
	}
	delete(ix.built, project)
}

// Get returns the policy of project; nil (the built-in roles) when it declares none.
func (ix *PolicyIndex) Get(project string) *Policy {
	ix.mu.RLock()
	p, ok := ix.built[project]
	n := len(ix.objs[project])
	ix.mu.RUnlock()
	if ok || n == 0 {
		return p
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var (
		accounts []v1.ServiceAccount
		roles    []v1.Role
		bindings []v1.RoleBinding
	)
	for key, b := range ix.objs[project] {
		switch strings.Split(key, ".")[1] {
		case v1.KindServiceAccount:
			var o v1.ServiceAccount
			if json.Unmarshal(b, &o) == nil {
				accounts = append(accounts, o)
			}
		case v1.KindRole:
			var o v1.Role
			if json.Unmarshal(b, &o) == nil {
				roles = append(roles, o)
			}
		case v1.KindRoleBinding:
			var o v1.RoleBinding
			if json.Unmarshal(b, &o) == nil {
				bindings = append(bindings, o)
			}
		}
	}
	p = NewPolicy(project, accounts, roles, bindings)
	ix.built[project] = p
	return p
}
