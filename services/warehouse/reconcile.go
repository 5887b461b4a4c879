package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"go.opentelemetry.io/otel/codes"
	"log/slog"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/store"
)

// Condition types and reasons of a Warehouse's status.
const (
	ConditionReady          = "Ready"
	ConditionFreightCreated = "FreightCreated"

	ReasonDiscovered     = "DiscoverySucceeded"
	ReasonDiscoveryError = "DiscoveryFailed"
	ReasonNoArtifacts    = "NoArtifacts"
	ReasonCreated        = "Created"
	ReasonAlreadyExists  = "AlreadyExists"
	ReasonManual         = "ManualPolicy"
	ReasonCreateFailed   = "CreateFailed"
	ReasonCriteriaNotMet = "CriteriaNotMet"
	ReasonCriteriaError  = "CriteriaError"
)

// PolicyManual is the freightCreationPolicy that discovers without creating Freight.
const PolicyManual = "Manual"

// job is one discovery of one Warehouse: a snapshot of what it needs.
type job struct {
	project   string
	wh        v1.Warehouse
	spec      string
	status    v1.WarehouseStatus // as last recorded
	refreshes []*refreshRequest
	polledAt  time.Time // when every subscription was last discovered in full
}

// reconcile discovers every subscription of j's Warehouse in order, records the outcome as its
// status in dray-warehouses, and, for an Automatic Warehouse whose every subscription found
// something, creates the Freight of the newest artifacts. It returns the recorded status and
// an error when the discovery failed (and should be retried).
func (s *tracker) reconcile(ctx context.Context, j job) (st v1.WarehouseStatus, full bool, err error) {
	ctx, span := s.traceDiscovery(withWarehouse(ctx, j.project, j.wh.Metadata.Name), j)
	defer span.End()
	log := s.Log.With("project", j.project, "warehouse", j.wh.Metadata.Name, "trace_id", span.SpanContext().TraceID().String())
	now := time.Now().UTC()
	st = j.status
	st.ObservedSpec = j.spec
	if n := len(j.refreshes); n > 0 && j.refreshes[n-1].id != "" {
		st.LastHandledRefresh = j.refreshes[n-1].id
	}
	found, errs, full := s.discover(ctx, j)
	s.metrics.discovered(j.project, j.wh.Metadata.Name, time.Since(now), len(errs) > 0)
	var failure error
	switch {
	case len(errs) > 0:
		st.Errors = errs
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = subscriptionLabel(e.SubscriptionName, e.RepoURL) + ": " + e.Message
		}
		failure = fmt.Errorf("discovery failed: %s", strings.Join(msgs, "; "))
		setCondition(&st, ConditionReady, "False", ReasonDiscoveryError, failure.Error(), now)
		span.SetStatus(codes.Error, "discovery failed")
		log.Warn("discovery failed; will retry", "err", failure)
	default:
		st.Errors = nil
		st.DiscoveredArtifacts = artifacts(j.wh.Spec.Subscriptions, found, now)
		if empty := emptySubscriptions(j.wh.Spec.Subscriptions, found); len(empty) > 0 {
			msg := "no artifacts found for " + strings.Join(empty, ", ") + ": no Freight can be made"
			setCondition(&st, ConditionReady, "False", ReasonNoArtifacts, msg, now)
			break
		}
		setCondition(&st, ConditionReady, "True", ReasonDiscovered, fmt.Sprintf("discovered %d subscriptions", len(found)), now)
		failure = s.createFreight(ctx, j, &st, found, now, log)
	}
	if err := s.record(ctx, j, &st); err != nil {
		log.Warn("cannot record warehouse status; will retry", "err", err)
		return st, full, err
	}
	return st, full, failure
}

// discover runs each subscription's discovery in order, within the discovery timeout, and
// reports whether every subscription was discovered in full (a poll). When every refresh of
// the job names what was pushed, each subscription is first brought up to date from those
// hints and its last result (fromHints), without listing its repository.
func (s *tracker) discover(ctx context.Context, j job) (found []Artifacts, errs []v1.SubscriptionError, full bool) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	prev, hints := previous(j), hintsOf(j.refreshes)
	since := refreshedAt(j.refreshes)
	found = make([]Artifacts, len(j.wh.Spec.Subscriptions))
	full = true
	for i, sub := range j.wh.Spec.Subscriptions {
		if prev != nil && hints != nil {
			if a, ok := s.fromHints(ctx, j, sub, prev[i], hints); ok {
				found[i], full = a, false
				continue
			}
		}
		if f, ok := s.opts.Discoverer.(forgetter); ok && len(j.refreshes) > 0 {
			f.Forget(sub, since)
		}
		a, err := s.opts.Discoverer.Discover(ctx, j.project, sub)
		if err != nil {
			errs = append(errs, v1.SubscriptionError{SubscriptionName: sub.Name, RepoURL: repoURL(sub), Message: err.Error()})
			continue
		}
		found[i] = a
	}
	return found, errs, full
}

// createFreight creates the Freight of element 0 of every subscription's artifacts, unless
// the policy is Manual or the creation criteria are not met, and sets the FreightCreated
// condition and lastFreightID.
func (s *tracker) createFreight(ctx context.Context, j job, st *v1.WarehouseStatus, found []Artifacts, now time.Time, log *slog.Logger) error {
	if j.wh.Spec.FreightCreationPolicy == PolicyManual {
		setCondition(st, ConditionFreightCreated, "False", ReasonManual, "freightCreationPolicy is Manual: create Freight from the discovered artifacts by hand", now)
		return nil
	}
	met, err := criteriaMet(criteria(j.wh.Spec), found)
	if err != nil {
		setCondition(st, ConditionReady, "False", ReasonCriteriaError, err.Error(), now)
		setCondition(st, ConditionFreightCreated, "False", ReasonCriteriaError, err.Error(), now)
		return nil // fixed by a new spec, which is discovered at once; retrying cannot help
	}
	if !met {
		setCondition(st, ConditionFreightCreated, "False", ReasonCriteriaNotMet, "freightCreationCriteria.expression is false for the newest artifacts", now)
		return nil
	}
	f := newFreight(j.wh.Metadata.Name, j.wh.Spec.Subscriptions, found, now)
	created, err := store.CreateFreight(ctx, s.Bus, j.project, f)
	if err != nil {
		setCondition(st, ConditionFreightCreated, "False", ReasonCreateFailed, err.Error(), now)
		return fmt.Errorf("create freight: %w", err)
	}
	st.LastFreightID = f.Metadata.Name
	if !created {
		setCondition(st, ConditionFreightCreated, "False", ReasonAlreadyExists, "Freight "+f.Metadata.Name+" of the newest artifacts exists already", now)
		return nil
	}
	setCondition(st, ConditionFreightCreated, "True", ReasonCreated, "created Freight "+f.Metadata.Name+" ("+f.Alias+")", now)
	s.metrics.freightCreated(j.project, j.wh.Metadata.Name)
	log.Info("freight created", "freight", f.Metadata.Name, "alias", f.Alias)
	return nil
}

// record stores st as the Warehouse's status.
func (s *tracker) record(ctx context.Context, j job, st *v1.WarehouseStatus) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.Bus.Warehouses.Put(ctx, bus.Key(j.project, j.wh.Metadata.Name), data); err != nil {
		return fmt.Errorf("store status: %w", err)
	}
	return nil
}

// setCondition sets the condition of type typ, keeping its transition time when its status
// did not change.
func setCondition(st *v1.WarehouseStatus, typ, status, reason, msg string, now time.Time) {
	c := v1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, LastTransitionTime: &now}
	for i, old := range st.Conditions {
		if old.Type != typ {
			continue
		}
		if old.Status == status && old.LastTransitionTime != nil {
			c.LastTransitionTime = old.LastTransitionTime
		}
		st.Conditions[i] = c
		return
	}
	st.Conditions = append(st.Conditions, c)
}

// subscriptionLabel names a subscription in messages: its name, else its repository.
func subscriptionLabel(name, repoURL string) string {
	if name != "" {
		return "subscription " + name
	}
	return repoURL
}

func repoURL(sub v1.RepoSubscription) string {
	switch {
	case sub.Git != nil:
		return sub.Git.RepoURL
	case sub.Image != nil:
		return sub.Image.RepoURL
	case sub.Chart != nil:
		return sub.Chart.RepoURL
	case sub.Generic != nil:
		return sub.Generic.Type // generic subscriptions have no repository
	}
	return ""
}

func emptySubscriptions(subs []v1.RepoSubscription, found []Artifacts) []string {
	var out []string
	for i, a := range found {
		if a.count() == 0 {
			out = append(out, subscriptionLabel(subs[i].Name, repoURL(subs[i])))
		}
	}
	return out
}
