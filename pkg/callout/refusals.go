package callout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/token"
)

// Defaults of the audit of refused connects: one record per client host and token (or per
// host, for a client without a token that parses) per DefaultAuditEvery, and at most
// DefaultAuditKeys of them a window; the refusals left out are counted in the next record.
const (
	DefaultAuditEvery = time.Minute
	DefaultAuditKeys  = 1000
)

// AuditVerb is the verb of the audit record of a refused NATS connect.
const AuditVerb = "connect"

// Metrics count the callout's answers: dray_nats_auth_total{result} (allowed, refused). A
// nil *Metrics counts nothing.
type Metrics struct{ answers *prometheus.CounterVec }

// NewMetrics registers the callout's metrics on reg (nil: counters of its own), or shares
// those already there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dray_nats_auth_total",
		Help: "NATS clients the auth callout answered, by result (allowed, refused).",
	}, []string{"result"})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
			if !errors.As(err, &are) || !ok {
				return nil, fmt.Errorf("register dray_nats_auth_total: %w", err)
			}
			c = existing
		}
	}
	return &Metrics{answers: c}, nil
}

func (m *Metrics) count(result string) {
	if m != nil {
		m.answers.WithLabelValues(result).Inc()
	}
}

// refusals decides which refused connects get an audit record: the first of a key (client
// host and token) in a window, and at most max keys a window, the rest under one key; it
// counts those it leaves out, for the key's next record. It is safe for concurrent use.
type refusals struct {
	mu     sync.Mutex
	window time.Time
	every  time.Duration
	max    int
	// left counts, by key, the refusals left out since the key's last record; a key is in it
	// once it has had a record this window.
	left map[string]int
	// carried are the counts of the last window's keys, reported by their next record.
	carried map[string]int
}

// overflow is the key of the refusals beyond max keys a window.
const overflow = "*"

// admit reports whether the refusal of key at now gets a record, how many refusals of the
// key it stands for that were left out before, and whether it stands for every key beyond
// max this window.
func (r *refusals) admit(key string, now time.Time) (ok bool, left int, over bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.left == nil || !now.Before(r.window.Add(r.every)) {
		r.carried = map[string]int{}
		for k, n := range r.left {
			if n > 0 {
				r.carried[k] = n
			}
		}
		if len(r.carried) > r.max {
			r.carried = map[string]int{} // a flood of keys: its counts are in the metric
		}
		r.left, r.window = map[string]int{}, now
	}
	if _, seen := r.left[key]; !seen && len(r.left) >= r.max {
		key = overflow
	}
	if _, seen := r.left[key]; seen {
		r.left[key]++
		return false, 0, false
	}
	r.left[key] = 0
	n := r.carried[key]
	delete(r.carried, key)
	return true, n, key == overflow
}

// refused counts a refused client and audits it, unless the audit of its kind was done
// this window.
func (c *Callout) refused(req *jwt.AuthorizationRequestClaims, t v1.APIToken, why error) {
	c.Metrics.count(v1.AuditRefused)
	if c.Audit == nil {
		return
	}
	rec := v1.AuditRecord{
		ID:   "nats/" + req.Server.ID + "/" + fmt.Sprint(req.ClientInformation.ID),
		Time: c.now().UTC(), Source: v1.AuditSourceBus, Actor: "anonymous", Verb: AuditVerb,
		Resource: "tokens", RemoteAddr: req.ClientInformation.Host, Result: v1.AuditRefused, Reason: why.Error(),
		UserAgent: strings.TrimSpace(req.ConnectOptions.Lang + " " + req.ConnectOptions.Version + " " + req.ClientInformation.Name),
	}
	// The token's project and name, from its text (never the secret), or the stored token's.
	text := req.ConnectOptions.Token
	if text == "" {
		text = req.ConnectOptions.Password
	}
	if key, err := token.Parse(text); err == nil {
		scope, name, _ := strings.Cut(key, ".")
		if scope != token.SystemScope {
			rec.Project = scope
		}
		rec.Name = name
	}
	if t.SHA256 != "" { // a stored token, refused for what it is (a system admin's)
		rec.Actor = access.Identity{Name: t.Name, Project: t.Project, Role: t.Role, SystemAdmin: t.SystemAdmin}.Actor()
	}
	if errors.Is(why, token.ErrMalformed) {
		rec.Reason = "malformed token" // its detail says nothing a reader needs
	}
	c.limitOnce.Do(func() {
		c.limit = &refusals{every: c.AuditEvery, max: c.AuditKeys}
		if c.limit.every <= 0 {
			c.limit.every = DefaultAuditEvery
		}
		if c.limit.max <= 0 {
			c.limit.max = DefaultAuditKeys
		}
	})
	ok, left, over := c.limit.admit(rec.RemoteAddr+"|"+rec.Project+"/"+rec.Name, c.now())
	switch {
	case !ok:
		return
	case over:
		rec.Reason += fmt.Sprintf(" (more than %d clients and tokens refused this %s: the others are left out of the audit trail; dray_nats_auth_total counts them)", c.limit.max, c.limit.every)
	case left > 0:
		rec.Reason += fmt.Sprintf(" (and %d more refused connects of this client and token left out of the audit trail since the last record)", left)
	}
	go c.Audit(context.Background(), &rec)
}
