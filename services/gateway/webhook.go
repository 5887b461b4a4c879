package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/access"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/store"
)

// webhookBodyLimit bounds a webhook's body; GitHub's push payloads are capped at 25 MB, but
// what Dray reads is near the top and 4 MiB covers every push but a giant one.
const webhookBodyLimit = 4 << 20

// WebhookPath is where the receiver name of project is served, given the value of its
// Secret's key: /webhooks/<project>/<token>, the token being the hex SHA-256 of the project,
// the name and the secret. Nobody without the secret can find or forge it, and rotating the
// secret moves the receiver.
func WebhookPath(project, name, secretValue string) string {
	sum := sha256.Sum256([]byte("dray-webhook\x00" + project + "\x00" + name + "\x00" + secretValue))
	return "/webhooks/" + project + "/" + hex.EncodeToString(sum[:])
}

// WebhookReceiverInfo describes a configured receiver for the API: where to point the
// sender.
type WebhookReceiverInfo struct {
	Name     string `json:"name"`
	Provider string `json:"provider"`
	// Path is the receiver's path on the gateway; empty when its Secret is missing.
	Path string `json:"path,omitempty"`
	// Error says why the receiver cannot be served.
	Error string `json:"error,omitempty"`
}

// webhookRoutes registers the webhook receivers and their listing.
func (a *api) webhookRoutes(mux router) {
	mux.HandleFunc("POST /webhooks/{project}/{token}", public(), a.webhook) // checks its sender's signature
	mux.HandleFunc("GET /api/v1/projects/{project}/webhookreceivers", need(access.VerbGet, access.ResourceProjectConfigs), a.listWebhookReceivers)
}

// errNoReceiver is why a webhook is refused when no receiver of the project has its token.
var errNoReceiver = errors.New("no webhook receiver at this path")

// receiver is a configured receiver with its provider and secret.
type receiver struct {
	name   string
	p      *provider
	opts   receiverOptions
	secret string
	path   string // empty when err is set
	err    error
}

// receivers reads the project's ProjectConfig and the Secret of each receiver. A receiver
// whose provider or Secret is unusable has err set and no path.
func (a *api) receivers(ctx context.Context, project string) ([]receiver, error) {
	var cfg v1.ProjectConfig
	if _, err := a.Bus.GetJSON(ctx, a.Bus.Resources, bus.ResourceKey(project, v1.KindProjectConfig, project), &cfg); err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("read projectconfig %s: %w", project, err)
	}
	var out []receiver
	for _, rc := range cfg.Spec.WebhookReceivers {
		r := receiver{name: rc.Name}
		p, ref, opts, err := providerOf(rc)
		if err == nil && a.Secrets == nil {
			err = errNoSecretsKey
		}
		var data map[string]string
		if err == nil {
			if data, err = a.Secrets.Data(ctx, project, ref.Name); err == nil && data == nil {
				err = fmt.Errorf("secret %q does not exist in project %q", ref.Name, project)
			}
		}
		if err == nil {
			var ok bool
			if r.secret, ok = data[p.secretKey]; !ok || r.secret == "" {
				err = fmt.Errorf("secret %q has no value under key %q", ref.Name, p.secretKey)
			}
		}
		r.p, r.opts = p, opts
		if err != nil {
			r.err = fmt.Errorf("webhook receiver %q: %w", rc.Name, err)
		} else {
			r.path = WebhookPath(project, rc.Name, r.secret)
		}
		out = append(out, r)
	}
	return out, nil
}

// listWebhookReceivers shows each receiver's provider and path, or why it cannot be served.
func (a *api) listWebhookReceivers(w http.ResponseWriter, r *http.Request) {
	all, err := a.receivers(r.Context(), r.PathValue("project"))
	if err != nil {
		reply(w, nil, err)
		return
	}
	out := make([]WebhookReceiverInfo, 0, len(all))
	for _, rc := range all {
		info := WebhookReceiverInfo{Name: rc.name, Path: rc.path}
		if rc.p != nil {
			info.Provider = rc.p.name
		}
		if rc.err != nil {
			info.Error = rc.err.Error()
		}
		out = append(out, info)
	}
	listPage(w, r, out, func(i WebhookReceiverInfo) string { return i.Name })
}

// webhookReply is the body of a webhook's answer: the Warehouses it refreshed.
type webhookReply struct {
	Refreshed []string `json:"refreshed"`
	Message   string   `json:"message,omitempty"`
}

// webhook authenticates a push notification, then publishes a refresh command, with what
// was pushed, for each Warehouse of the project that subscribes to the pushed repository.
func (a *api) webhook(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	provider := "unknown"
	defer func() { a.metrics.webhookDelivered(provider, sw.status()) }()
	project, token := r.PathValue("project"), r.PathValue("token")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhookBodyLimit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("webhook body is over %d bytes", webhookBodyLimit))
			return
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("read webhook body: %w", err))
		return
	}
	all, err := a.receivers(r.Context(), project)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	want := "/webhooks/" + project + "/" + token
	var rc *receiver
	for i := range all {
		if all[i].path != "" && subtle.ConstantTimeCompare([]byte(all[i].path), []byte(want)) == 1 {
			rc = &all[i]
		}
	}
	if rc == nil {
		writeError(w, http.StatusNotFound, errNoReceiver)
		return
	}
	provider = rc.p.name
	log := a.Log.With("project", project, "receiver", rc.name, "provider", rc.p.name)
	if err := rc.p.verify(r, body, rc.secret); err != nil {
		log.Warn("webhook refused", "err", err, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, fmt.Errorf("webhook receiver %q: %w", rc.name, err))
		return
	}
	pushes, err := rc.p.parse(r, body, rc.opts)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("webhook receiver %q: decode %s payload: %w", rc.name, rc.p.name, err))
		return
	}
	if prs := pullRequestsOf(rc.p.name, r, body); len(prs) > 0 {
		woken, err := a.wakePullRequests(r.Context(), project, deliveryID(rc.name, body), prs)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err)
			return
		}
		log.Info("pull request webhook", "pr", prs[0].number, "action", prs[0].action, "woken", woken)
		reply(w, webhookReply{Refreshed: []string{}, Message: fmt.Sprintf("pull request %d: %d waiting step(s) woken", prs[0].number, woken)}, nil)
		return
	}
	if len(pushes) == 0 {
		reply(w, webhookReply{Refreshed: []string{}, Message: "nothing pushed: no Warehouse refreshed"}, nil)
		return
	}
	whs, err := store.List[v1.Warehouse](r.Context(), a.Bus, a.Bus.Resources, bus.ResourceKey(project, v1.KindWarehouse, ">"))
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	delivery := deliveryID(rc.name, body)
	refreshed := []string{}
	for _, wh := range whs {
		hits := 0
		for i, p := range pushes {
			repo, ok := p.watchedBy(wh.Spec.Subscriptions)
			if !ok {
				continue
			}
			art := p.artifact
			art.RepoURL = repo // as the Warehouse spells it, so it finds its subscription
			cmd := v1.RefreshCommand{
				Project: project, Warehouse: wh.Metadata.Name, Actor: "webhook:" + rc.name,
				ID: delivery + "-" + strconv.Itoa(i), Artifact: &art,
			}
			id := "refresh/" + project + "/" + wh.Metadata.Name + "/" + cmd.ID
			if err := a.Bus.Publish(r.Context(), bus.CommandSubject(project, "refresh"), id, &cmd); err != nil {
				writeError(w, http.StatusServiceUnavailable, err)
				return
			}
			hits++
		}
		if hits > 0 {
			refreshed = append(refreshed, wh.Metadata.Name)
		}
	}
	log.Info("webhook received", "repo", pushes[0].artifact.RepoURL, "pushes", len(pushes), "refreshed", refreshed)
	reply(w, webhookReply{Refreshed: refreshed}, nil)
}

// deliveryID identifies one delivery of a webhook, so a redelivered one refreshes once.
func deliveryID(receiver string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(receiver + "\x00"))
	h.Write(body)
	return "webhook-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// Kinds of pushed repository.
const (
	pushGit   = "git"
	pushImage = "image" // an OCI repository: images, and charts pushed to a registry
	pushAny   = ""      // the generic receiver: whatever the URL matches
)

// push is one pushed artifact a payload names: the repository under each URL it is known by,
// and what was pushed there.
type push struct {
	kind     string
	urls     []string
	artifact v1.RefreshArtifact
}

// watchedBy returns the repoURL of the first of subs that watches the pushed repository,
// comparing normalised URLs (docs/resources.md#how-urls-are-compared), and whether there is one.
func (p push) watchedBy(subs []v1.RepoSubscription) (string, bool) {
	for _, s := range subs {
		for _, u := range p.urls {
			switch {
			case s.Git != nil && (p.kind == pushGit || p.kind == pushAny):
				if freight.NormalizeGitURL(u) == freight.NormalizeGitURL(s.Git.RepoURL) {
					return s.Git.RepoURL, true
				}
			case s.Image != nil && (p.kind == pushImage || p.kind == pushAny):
				if freight.NormalizeImageURL(u) == freight.NormalizeImageURL(s.Image.RepoURL) {
					return s.Image.RepoURL, true
				}
			case s.Chart != nil && (p.kind == pushImage || p.kind == pushAny):
				if chartURL(u) == chartURL(s.Chart.RepoURL) {
					return s.Chart.RepoURL, true
				}
			}
		}
	}
	return "", false
}

// chartURL normalises a chart repository URL, and drops a classic repository's trailing
// slash.
func chartURL(u string) string {
	return strings.TrimSuffix(freight.NormalizeChartURL(u), "/")
}
