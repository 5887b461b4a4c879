package argocdupdate

import (
	"errors"
	"fmt"

	"github.com/drayhq/dray/pkg/argocd"
)

// Config is the config of argocd-update, as described by schemas/steps/argocd-update.json.
type Config struct {
	// Apps are the Applications to update and sync.
	Apps []App `json:"apps"`
}

// App names Applications by name or by label selector.
type App struct {
	Name      string           `json:"name,omitempty"`
	Selector  *argocd.Selector `json:"selector,omitempty"`
	Namespace string           `json:"namespace,omitempty"`
	// Sources are updates to the Applications' sources.
	Sources []SourceUpdate `json:"sources,omitempty"`
}

// SourceUpdate changes one source of an Application: Helm-chart sources match by exact
// repoURL and chart, Git sources by normalised repoURL.
type SourceUpdate struct {
	RepoURL string `json:"repoURL"`
	Chart   string `json:"chart,omitempty"`
	// DesiredRevision is the revision the source must be observed synced to.
	DesiredRevision string `json:"desiredRevision,omitempty"`
	// UpdateTargetRevision also sets the source's targetRevision to DesiredRevision.
	UpdateTargetRevision bool             `json:"updateTargetRevision,omitempty"`
	Kustomize            *KustomizeUpdate `json:"kustomize,omitempty"`
	Helm                 *HelmUpdate      `json:"helm,omitempty"`
}

// KustomizeUpdate replaces the source's kustomize image list.
type KustomizeUpdate struct {
	Images []KustomizeImage `json:"images"`
}

// KustomizeImage is one kustomize image override: repo[=newName]:tag or repo[=newName]@digest.
type KustomizeImage struct {
	RepoURL string `json:"repoURL"`
	Tag     string `json:"tag,omitempty"`
	Digest  string `json:"digest,omitempty"`
	NewName string `json:"newName,omitempty"`
}

// HelmUpdate upserts Helm parameters of the source.
type HelmUpdate struct {
	Images []HelmImage `json:"images"`
}

// HelmImage sets the Helm parameter Key to Value.
type HelmImage struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Validate reports what the schema cannot: exactly one of name and selector, a desired
// revision for updateTargetRevision, and exactly one of tag and digest per image. Each problem
// names its field.
func (c *Config) Validate() error {
	var errs []error
	for i, a := range c.Apps {
		at := fmt.Sprintf("config.apps[%d]", i)
		if (a.Name == "") == (a.Selector == nil) {
			errs = append(errs, fmt.Errorf("%s: set exactly one of name and selector", at))
		}
		for j, s := range a.Sources {
			at := fmt.Sprintf("%s.sources[%d]", at, j)
			if s.UpdateTargetRevision && s.DesiredRevision == "" {
				errs = append(errs, fmt.Errorf("%s.updateTargetRevision: requires desiredRevision", at))
			}
			if s.Kustomize != nil {
				for k, img := range s.Kustomize.Images {
					if (img.Tag == "") == (img.Digest == "") {
						errs = append(errs, fmt.Errorf("%s.kustomize.images[%d]: set exactly one of tag and digest", at, k))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

// image renders a kustomize image override.
func (img KustomizeImage) image() string {
	s := img.RepoURL
	if img.NewName != "" {
		s += "=" + img.NewName
	}
	if img.Digest != "" {
		return s + "@" + img.Digest
	}
	return s + ":" + img.Tag
}
