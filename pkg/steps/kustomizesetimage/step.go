package kustomizesetimage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	kustypes "sigs.k8s.io/kustomize/api/types"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// Name is the step's name, the value of uses.
const Name = "kustomize-set-image"

// Reasons of the step's Errored results.
const (
	ReasonKustomizationNotFound = "KustomizationNotFound"
	ReasonAmbiguousImage        = "AmbiguousImage"
)

// FreightSource gives the Freight of a promotion, for a step whose config sets no images.
type FreightSource interface {
	// PromotionFreight returns the Freight promoted by the named Promotion.
	PromotionFreight(ctx context.Context, project, promotion string) ([]v1.Freight, error)
}

// Step is the kustomize-set-image step. It is safe for concurrent use.
type Step struct {
	freight FreightSource
}

var _ steps.Step = (*Step)(nil)

// New returns the kustomize-set-image step. freight gives the images when a config sets none;
// it may be nil, and such a config then fails.
func New(freight FreightSource) *Step { return &Step{freight: freight} }

// Info names the step and says it runs on the config executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "config"} }

// Run sets the images in the kustomization at config.path and outputs commitMessage. A bad
// config or a path outside the workspace is terminal (Failed). A directory without exactly one
// kustomization, a kustomization that does not parse, Freight that names one image twice and
// a write that fails are Errored; the file is then left as it was.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	if err := cfg.Validate(); err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	dir, err := files.Local(sc, Name, "config.path", cfg.Path)
	if err != nil {
		return steps.Result{}, err
	}
	targets, err := s.targets(ctx, sc, cfg.Images)
	if err != nil {
		return steps.Result{}, err
	}
	name, err := find(sc.Dir, dir)
	if err != nil {
		if errors.Is(err, ErrNoKustomization) {
			return steps.Result{}, steps.Reasoned(ReasonKustomizationNotFound, err)
		}
		return steps.Result{}, files.Error(sc, Name, "config.path", "read", cfg.Path, err)
	}
	data, err := sc.Dir.ReadFile(name)
	if err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "read", name, err)
	}
	out, set, err := SetImages(data, targets)
	if err != nil {
		return steps.Result{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return steps.Result{}, err
	}
	if err := files.WriteFile(sc.Dir, name, out, 0o644); err != nil {
		return steps.Result{}, files.Error(sc, Name, "config.path", "write", name, err)
	}
	res := steps.Result{Message: fmt.Sprintf("set %d image(s) in %s", len(set), name)}
	if msg := commitMessage(cfg.Path, set); msg != "" {
		res.Outputs = map[string]any{"commitMessage": msg}
	}
	return res, nil
}

// targets returns the images entries to set: from the config, or else from the promotion's
// Freight.
func (s *Step) targets(ctx context.Context, sc *steps.Context, images []Image) ([]kustypes.Image, error) {
	if len(images) > 0 {
		out := make([]kustypes.Image, 0, len(images))
		for _, img := range images {
			name := img.Name
			if name == "" {
				name = img.Image
			}
			out = append(out, kustypes.Image{Name: name, NewName: img.NewName, NewTag: img.Tag, Digest: img.Digest})
		}
		return out, nil
	}
	if s.freight == nil {
		return nil, files.Invalid(sc, Name, errors.New("config.images: required here: this executor cannot read the promotion's Freight"))
	}
	freight, err := s.freight.PromotionFreight(ctx, sc.Project, sc.Promotion)
	if err != nil {
		return nil, fmt.Errorf("read the Freight of promotion %s: %w", sc.Promotion, err)
	}
	out, err := FreightImages(freight)
	if err != nil {
		return nil, steps.Reasoned(ReasonAmbiguousImage, err)
	}
	return out, nil
}

// FreightImages returns an images entry for every image of freight, named by its repoURL and
// set to its tag and digest, sorted by name. An image repository in two Freights wraps
// ErrAmbiguousImage.
func FreightImages(freight []v1.Freight) ([]kustypes.Image, error) {
	from := map[string]string{}
	var out []kustypes.Image
	for _, f := range freight {
		for _, img := range f.Images {
			if other, ok := from[img.RepoURL]; ok {
				return nil, fmt.Errorf("%w: %s is in Freight %s and %s; set config.images", ErrAmbiguousImage, img.RepoURL, other, f.Metadata.Name)
			}
			from[img.RepoURL] = f.Metadata.Name
			out = append(out, kustypes.Image{Name: img.RepoURL, NewTag: img.Tag, Digest: img.Digest})
		}
	}
	slices.SortFunc(out, func(a, b kustypes.Image) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// commitMessage is "Updated <path> to use new image[s]\n" and a "\n- <ref>" line per image,
// sorted; "" when no image was set.
func commitMessage(path string, set []kustypes.Image) string {
	if len(set) == 0 {
		return ""
	}
	refs := make([]string, 0, len(set))
	for _, img := range set {
		ref := img.Name
		if img.NewName != "" {
			ref = img.NewName
		}
		if img.NewTag != "" {
			ref += ":" + img.NewTag
		}
		if img.Digest != "" {
			ref += "@" + img.Digest
		}
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	var b strings.Builder
	b.WriteString("Updated " + path + " to use new image")
	if len(set) > 1 {
		b.WriteString("s")
	}
	b.WriteString("\n")
	for _, r := range refs {
		b.WriteString("\n- " + r)
	}
	return b.String()
}
