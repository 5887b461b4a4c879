package argocdupdate

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/freight"
)

// plan is what one attempt wants of one Application.
type plan struct {
	app *argocd.Application
	// desired are the desired revisions by source position; "" where none is desired.
	desired []string
	// spec is the Application's raw spec with the source updates applied; changed says
	// whether it differs from the server's.
	spec    map[string]any
	changed bool
}

// hasDesired reports whether any source has a desired revision.
func (p *plan) hasDesired() bool {
	for _, d := range p.desired {
		if d != "" {
			return true
		}
	}
	return false
}

// newPlan matches the updates to the Application's sources and applies them to a copy of its
// spec. An update that matches no source is an error naming the Application and the URL.
func newPlan(app *argocd.Application, updates []SourceUpdate) (*plan, error) {
	p := &plan{app: app, desired: make([]string, len(app.Spec.SourceList()))}
	spec, err := deepCopy(app.RawSpec)
	if err != nil {
		return nil, err
	}
	p.spec = spec
	raw := rawSources(spec)
	typed := app.Spec.SourceList()
	for _, u := range updates {
		i := match(typed, u)
		if i < 0 || i >= len(raw) {
			what := fmt.Sprintf("repoURL %q", u.RepoURL)
			if u.Chart != "" {
				what += fmt.Sprintf(" and chart %q", u.Chart)
			}
			return nil, fmt.Errorf("Argo CD Application %s/%s has no source with %s", app.Metadata.Namespace, app.Metadata.Name, what)
		}
		p.desired[i] = u.DesiredRevision
		apply(raw[i], u)
	}
	orig, _ := deepCopy(app.RawSpec)
	p.changed = !reflect.DeepEqual(spec, orig)
	return p, nil
}

// match returns the position of the source u updates, or -1.
func match(srcs []argocd.ApplicationSource, u SourceUpdate) int {
	for i, s := range srcs {
		if u.Chart != "" {
			if s.Chart == u.Chart && s.RepoURL == u.RepoURL {
				return i
			}
			continue
		}
		if s.Chart == "" && freight.NormalizeGitURL(s.RepoURL) == freight.NormalizeGitURL(u.RepoURL) {
			return i
		}
	}
	return -1
}

// apply changes one raw source as u asks.
func apply(src map[string]any, u SourceUpdate) {
	if u.UpdateTargetRevision && u.DesiredRevision != "" {
		src["targetRevision"] = u.DesiredRevision
	}
	if u.Kustomize != nil && len(u.Kustomize.Images) > 0 {
		k, _ := src["kustomize"].(map[string]any)
		if k == nil {
			k = map[string]any{}
		}
		images := make([]any, len(u.Kustomize.Images))
		for i, img := range u.Kustomize.Images {
			images[i] = img.image()
		}
		k["images"] = images
		src["kustomize"] = k
	}
	if u.Helm != nil && len(u.Helm.Images) > 0 {
		h, _ := src["helm"].(map[string]any)
		if h == nil {
			h = map[string]any{}
		}
		params, _ := h["parameters"].([]any)
	next:
		for _, img := range u.Helm.Images {
			for _, p := range params {
				if m, ok := p.(map[string]any); ok && m["name"] == img.Key {
					m["value"] = img.Value
					continue next
				}
			}
			params = append(params, map[string]any{"name": img.Key, "value": img.Value})
		}
		h["parameters"] = params
		src["helm"] = h
	}
}

// rawSources returns the source maps of a raw spec, in position order.
func rawSources(spec map[string]any) []map[string]any {
	if list, ok := spec["sources"].([]any); ok && len(list) > 0 {
		out := make([]map[string]any, 0, len(list))
		for _, s := range list {
			m, _ := s.(map[string]any)
			out = append(out, m)
		}
		return out
	}
	if m, ok := spec["source"].(map[string]any); ok {
		return []map[string]any{m}
	}
	return nil
}

func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// syncedDiffers reports whether a completed sync missed a desired revision of some source.
func (p *plan) syncedDiffers(res *argocd.SyncResult) bool {
	for i, d := range p.desired {
		if d == "" {
			continue
		}
		got := res.Revision
		if p.app.Spec.MultiSource() {
			got = ""
			if i < len(res.Revisions) {
				got = res.Revisions[i]
			}
		}
		if got != d {
			return true
		}
	}
	return false
}
