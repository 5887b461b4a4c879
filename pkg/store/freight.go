package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
)

// CreateFreight stores f in project under its content-derived ID (docs/resources.md#freight-ids, which
// overwrites any name f has) and publishes freight.created. A Freight with that ID that
// exists already is left alone: CreateFreight then reports created false, and f is not
// changed further. On create it sets the creation time, discoveredAt (when unset) and the
// alias (from the kargo.akuity.io/alias label, else a new unused one).
//
// The store is a KV create, so two writers racing on the same content store one Freight.
// The event's ID is <project>/<freight>/created/<revision of the create>, so a Freight
// deleted and created again is announced again.
func CreateFreight(ctx context.Context, b *bus.Bus, project string, f *v1.Freight) (created bool, err error) {
	f.Metadata.Name = freight.ID(f)
	f.Metadata.Namespace = project
	key := bus.Key(project, f.Metadata.Name)
	if _, err := b.Freight.Get(ctx, key); err == nil {
		return false, nil
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, fmt.Errorf("read freight %s: %w", key, err)
	}
	now := time.Now().UTC()
	f.Metadata.CreationTimestamp = &now
	if f.DiscoveredAt == nil {
		f.DiscoveredAt = &now
	}
	if f.Alias == "" {
		f.Alias = f.Metadata.Labels[v1.LabelAlias]
	}
	if err := claimAlias(ctx, b, project, f); err != nil {
		return false, err
	}
	data, err := json.Marshal(f)
	if err != nil {
		return false, fmt.Errorf("encode freight %s: %w", key, err)
	}
	rev, err := b.Freight.Create(ctx, key, data)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil // the same content was stored meanwhile; its alias stays claimed for it
		}
		return false, fmt.Errorf("create freight %s: %w", key, err)
	}
	ev := v1.FreightEvent{Project: project, Freight: f.Metadata.Name, Alias: f.Alias, Origin: f.Origin}
	id := project + "/" + f.Metadata.Name + "/created/" + strconv.FormatUint(rev, 10)
	if err := b.PublishEvent(ctx, project, v1.TypeFreightCreated, id, "freight/"+f.Metadata.Name, ev); err != nil {
		return true, err
	}
	return true, nil
}

// aliasKey is where an alias is claimed in the Freight bucket; the entry holds the name of
// the Freight it belongs to. The leading underscore keeps it out of <project>.> listings.
func aliasKey(project, alias string) string { return "_alias." + project + "." + alias }

// claimAlias claims f's alias for it, or a new unused one when it has none, with a KV create:
// two Freight never get one alias, and finding a free alias costs a read per candidate rather
// than reading every Freight of the project. A given alias that another Freight holds is an
// error.
func claimAlias(ctx context.Context, b *bus.Bus, project string, f *v1.Freight) error {
	name := []byte(f.Metadata.Name)
	if f.Alias != "" {
		_, err := b.Freight.Create(ctx, aliasKey(project, f.Alias), name)
		if errors.Is(err, jetstream.ErrKeyExists) {
			owner, gerr := b.Freight.Get(ctx, aliasKey(project, f.Alias))
			if gerr == nil && string(owner.Value()) == f.Metadata.Name {
				return nil
			}
			return fmt.Errorf("alias %q is taken by another Freight of project %q: choose another", f.Alias, project)
		}
		if err != nil {
			return fmt.Errorf("claim alias %q: %w", f.Alias, err)
		}
		return nil
	}
	for range 100 {
		var readErr error
		alias := freight.NewAlias(func(a string) bool {
			_, err := b.Freight.Get(ctx, aliasKey(project, a))
			if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				readErr = err
			}
			return err == nil
		})
		if readErr != nil {
			return fmt.Errorf("look up aliases: %w", readErr)
		}
		_, err := b.Freight.Create(ctx, aliasKey(project, alias), name)
		if err == nil {
			f.Alias = alias
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("claim alias %q: %w", alias, err)
		}
	}
	return errors.New("no free alias found after 100 tries")
}

// FreightByAlias returns the name of the project's Freight that holds alias, or "" when none
// does.
func FreightByAlias(ctx context.Context, b *bus.Bus, project, alias string) (string, error) {
	e, err := b.Freight.Get(ctx, aliasKey(project, alias))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}

// ErrAliasTaken is returned by SetAlias for an alias another Freight of the project holds.
var ErrAliasTaken = errors.New("alias is taken by another Freight")

// SetAlias gives the project's Freight nameOrAlias the alias alias (field and label) and frees
// its old one, which it returns. The new alias is claimed with a KV create, so two Freight
// never share one; setting the alias a Freight has already changes nothing.
func SetAlias(ctx context.Context, b *bus.Bus, project, nameOrAlias, alias string) (old string, err error) {
	f, err := Freight(ctx, b, project, nameOrAlias)
	if err != nil {
		return "", err
	}
	name := f.Metadata.Name
	if _, err := b.Freight.Create(ctx, aliasKey(project, alias), []byte(name)); err != nil {
		owner, gerr := FreightByAlias(ctx, b, project, alias)
		switch {
		case errors.Is(err, jetstream.ErrInvalidKey):
			return "", fmt.Errorf("alias %q: %w", alias, err)
		case gerr == nil && owner != "" && owner != name:
			return "", fmt.Errorf("%w: %q belongs to %s", ErrAliasTaken, alias, owner)
		case !errors.Is(err, jetstream.ErrKeyExists):
			return "", fmt.Errorf("claim alias %q: %w", alias, err)
		}
	}
	if f.Alias == alias && f.Metadata.Labels[v1.LabelAlias] == alias {
		return alias, nil // it had it already; now it is also claimed
	}
	key := bus.Key(project, name)
	for {
		var cur v1.Freight
		rev, err := b.GetJSON(ctx, b.Freight, key, &cur)
		if err != nil {
			return "", err
		}
		old = cur.Alias
		cur.Alias = alias
		if cur.Metadata.Labels == nil {
			cur.Metadata.Labels = map[string]string{}
		}
		cur.Metadata.Labels[v1.LabelAlias] = alias
		data, err := json.Marshal(&cur)
		if err != nil {
			return "", err
		}
		if _, err = b.Freight.Update(ctx, key, data, rev); err == nil {
			break
		}
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
			return "", fmt.Errorf("update freight %s: %w", key, err)
		}
	}
	if old != "" && old != alias {
		if owner, err := FreightByAlias(ctx, b, project, old); err == nil && owner == name {
			_ = b.Freight.Delete(ctx, aliasKey(project, old))
		}
	}
	return old, nil
}

// ErrFreightInUse is wrapped by DeleteFreight's error for a Freight a Stage holds.
var ErrFreightInUse = errors.New("freight is in use")

// DeleteFreight deletes the project's Freight nameOrAlias and frees its alias, and returns
// what it deleted. Like Kargo, it refuses a Freight that a Stage currently holds (its
// status.currentlyIn names the Stage) with an error that wraps ErrFreightInUse and names
// the Stages. The delete is compare-and-set on the revision it checked, so a Freight that a
// Promotion put into a Stage meanwhile is checked again, not deleted. A Freight that does
// not exist wraps ErrNotFound.
func DeleteFreight(ctx context.Context, b *bus.Bus, project, nameOrAlias string) (*v1.Freight, error) {
	for {
		f, err := Freight(ctx, b, project, nameOrAlias)
		if err != nil {
			return nil, err
		}
		key := bus.Key(project, f.Metadata.Name)
		var cur v1.Freight
		rev, err := b.GetLatestJSON(ctx, b.Freight, key, &cur)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // deleted since: the next look says not found
		}
		if err != nil {
			return nil, err
		}
		if len(cur.Status.CurrentlyIn) > 0 {
			stages := slices.Sorted(maps.Keys(cur.Status.CurrentlyIn))
			return nil, fmt.Errorf("freight %q %w by stages (%s): promote other Freight to them, or delete them, first",
				f.Metadata.Name, ErrFreightInUse, `"`+strings.Join(stages, `", "`)+`"`)
		}
		err = b.Freight.Purge(ctx, key, jetstream.LastRevision(rev))
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			continue // changed since it was checked: check again
		}
		if err != nil {
			return nil, fmt.Errorf("delete freight %s: %w", key, err)
		}
		if cur.Alias != "" {
			if owner, err := FreightByAlias(ctx, b, project, cur.Alias); err == nil && owner == cur.Metadata.Name {
				if err := b.Freight.Purge(ctx, aliasKey(project, cur.Alias)); err != nil {
					return &cur, fmt.Errorf("free alias %q of deleted freight %s: %w", cur.Alias, key, err)
				}
			}
		}
		return &cur, nil
	}
}
