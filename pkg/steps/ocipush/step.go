package ocipush

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
	"github.com/drayhq/dray/pkg/steps/internal/httpclient"
	"github.com/drayhq/dray/pkg/steps/internal/ociremote"
)

// Name is the step's name, the value of uses.
const Name = "oci-push"

// DefaultMaxCopyBytes is the most compressed bytes a copy to another repository moves when
// Options.MaxCopyBytes is 0: 1 GiB.
const DefaultMaxCopyBytes = 1 << 30

// ReasonImageTooLarge: a copy to another repository would move more than the limit
// (terminal).
const ReasonImageTooLarge = "ImageTooLarge"

// Annotation key prefixes.
const (
	IndexPrefix    = "index:"
	ManifestPrefix = "manifest:"
)

// Options are the operator's settings. The zero value is the defaults.
type Options struct {
	// Secrets holds the projects' registry credentials; nil means anonymous access.
	Secrets *secret.Store
	// RootCAs verify registries unless a step sets insecureSkipTLSVerify; nil means the
	// system's.
	RootCAs *x509.CertPool
	// Guard, when set, holds a project's registry requests to what it allows: the http
	// executor passes its host allowlist (httpclient.ClientOptions.Guard), so these steps reach
	// only the hosts the http step may. nil lets every request through.
	Guard func(project string, base *http.Transport) http.RoundTripper
	// MaxCopyBytes bounds a copy to another repository. 0 means DefaultMaxCopyBytes (1 GiB).
	MaxCopyBytes int64
}

// Step is the oci-push step. It is safe for concurrent use.
type Step struct {
	opts Options
}

var _ steps.Step = (*Step)(nil)

// New returns the oci-push step with opts; the zero Options are the defaults.
func New(opts Options) *Step {
	if opts.MaxCopyBytes <= 0 {
		opts.MaxCopyBytes = DefaultMaxCopyBytes
	}
	return &Step{opts: opts}
}

func (s *Step) remote() ociremote.Options {
	return ociremote.Options{Secrets: s.opts.Secrets, RootCAs: s.opts.RootCAs, Guard: s.opts.Guard}
}

// Info names the step and says it runs on the http executor.
func (*Step) Info() steps.Info { return steps.Info{Name: Name, Executor: "http"} }

// Run copies or retags config.srcRef to config.destRef.
func (s *Step) Run(ctx context.Context, sc *steps.Context) (steps.Result, error) {
	cfg, err := steps.Decode[Config](sc, Name)
	if err != nil {
		return steps.Result{}, err
	}
	src, err := ociremote.Parse("config.srcRef", cfg.SrcRef)
	if err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	dest, tag, err := ociremote.ParseTag("config.destRef", cfg.DestRef)
	if err != nil {
		return steps.Result{}, files.Invalid(sc, Name, err)
	}
	indexAnn, manifestAnn := splitAnnotations(cfg.Annotations)
	prefix := fmt.Sprintf("step %q (%s): push %s to %s", sc.Alias, Name, cfg.SrcRef, cfg.DestRef)
	fail := func(err error) (steps.Result, error) {
		if ctx.Err() != nil {
			return steps.Result{}, ctx.Err()
		}
		if refused := httpclient.Refused(err); refused != nil {
			return steps.Result{}, fmt.Errorf("%s: %w", prefix, refused)
		}
		return steps.Result{}, fmt.Errorf("%s: %w", prefix, err)
	}

	srcOpts, err := s.remote().Remote(ctx, sc.Project, src, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return fail(err)
	}
	destOpts, err := s.remote().Remote(ctx, sc.Project, dest, cfg.InsecureSkipTLSVerify)
	if err != nil {
		return fail(err)
	}
	desc, err := remote.Get(src, srcOpts...)
	if err != nil {
		return fail(fmt.Errorf("fetch the source manifest: %w", err))
	}
	crossRepo := src.Context().Name() != dest.Context().Name()
	if crossRepo {
		if err := s.checkSize(desc); err != nil {
			return fail(err)
		}
	}

	var digest cr.Hash
	switch {
	case desc.MediaType.IsIndex():
		digest, err = pushIndex(desc, tag, indexAnn, manifestAnn, crossRepo, destOpts)
	case desc.MediaType.IsImage():
		digest, err = pushImage(desc, tag, manifestAnn, crossRepo, destOpts)
	default:
		err = steps.Terminal(fmt.Errorf("config.srcRef: unsupported media type %q", desc.MediaType))
	}
	if err != nil {
		return fail(err)
	}
	return steps.Result{
		Outputs: map[string]any{"image": strings.TrimSpace(cfg.DestRef), "digest": digest.String(), "tag": tag.TagStr()},
		Message: fmt.Sprintf("pushed %s to %s", digest, cfg.DestRef),
	}, nil
}

// splitAnnotations sorts annotations by target: index: keys to the index, manifest: and
// unprefixed keys to the manifests. Prefixes are removed.
func splitAnnotations(ann map[string]string) (index, manifest map[string]string) {
	for k, v := range ann {
		if key, ok := strings.CutPrefix(k, IndexPrefix); ok {
			index = put(index, key, v)
			continue
		}
		manifest = put(manifest, strings.TrimPrefix(k, ManifestPrefix), v)
	}
	return index, manifest
}

func put(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// pushImage writes a single image to tag, with manifest annotations added; within a
// repository and without annotations it only tags the manifest. Index annotations do not
// apply to a single image.
func pushImage(desc *remote.Descriptor, tag name.Tag, ann map[string]string, crossRepo bool, opts []remote.Option) (cr.Hash, error) {
	if !crossRepo && len(ann) == 0 {
		if err := remote.Tag(tag, desc, opts...); err != nil {
			return cr.Hash{}, fmt.Errorf("tag: %w", err)
		}
		return desc.Digest, nil
	}
	img, err := desc.Image()
	if err != nil {
		return cr.Hash{}, fmt.Errorf("read the source image: %w", err)
	}
	if len(ann) > 0 {
		img = mutate.Annotations(img, ann).(cr.Image)
	}
	digest, err := img.Digest()
	if err != nil {
		return cr.Hash{}, fmt.Errorf("digest the image: %w", err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return cr.Hash{}, fmt.Errorf("write the image: %w", err)
	}
	return digest, nil
}

// pushIndex writes an index and every manifest it lists to tag: index annotations go to the
// index, manifest annotations to each image manifest it lists (the index is then rebuilt over
// the new manifests). Within a repository and without annotations it only tags the index.
func pushIndex(desc *remote.Descriptor, tag name.Tag, indexAnn, manifestAnn map[string]string, crossRepo bool, opts []remote.Option) (cr.Hash, error) {
	if !crossRepo && len(indexAnn) == 0 && len(manifestAnn) == 0 {
		if err := remote.Tag(tag, desc, opts...); err != nil {
			return cr.Hash{}, fmt.Errorf("tag: %w", err)
		}
		return desc.Digest, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return cr.Hash{}, fmt.Errorf("read the source index: %w", err)
	}
	if len(manifestAnn) > 0 {
		if idx, err = annotateManifests(idx, manifestAnn); err != nil {
			return cr.Hash{}, err
		}
	}
	if len(indexAnn) > 0 {
		idx = mutate.Annotations(idx, indexAnn).(cr.ImageIndex)
	}
	digest, err := idx.Digest()
	if err != nil {
		return cr.Hash{}, fmt.Errorf("digest the index: %w", err)
	}
	if err := remote.WriteIndex(tag, idx, opts...); err != nil {
		return cr.Hash{}, fmt.Errorf("write the index: %w", err)
	}
	return digest, nil
}

// annotateManifests returns idx with ann added to every image manifest it lists, in the same
// order and with the same descriptors (platform, annotations) but the new digests. Nested
// indexes are kept as they are.
func annotateManifests(idx cr.ImageIndex, ann map[string]string) (cr.ImageIndex, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read the source index: %w", err)
	}
	adds := make([]mutate.IndexAddendum, 0, len(im.Manifests))
	for _, d := range im.Manifests {
		var add mutate.Appendable
		switch {
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("read manifest %s: %w", d.Digest, err)
			}
			add = mutate.Annotations(img, ann).(cr.Image)
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("read index %s: %w", d.Digest, err)
			}
			add = child
		default:
			return nil, steps.Terminal(fmt.Errorf("manifest %s: unsupported media type %q", d.Digest, d.MediaType))
		}
		// Platform, annotations and other descriptor fields are kept; size and digest
		// come from the new manifest.
		keep := d
		keep.Size, keep.Digest = 0, cr.Hash{}
		adds = append(adds, mutate.IndexAddendum{Add: add, Descriptor: keep})
	}
	rebuilt := mutate.RemoveManifests(idx, func(cr.Descriptor) bool { return true })
	return mutate.AppendManifests(rebuilt, adds...), nil
}

// checkSize fails (terminal) when the blobs of desc (configs and layers, compressed) exceed
// the limit of a copy to another repository. It reads manifests only.
func (s *Step) checkSize(desc *remote.Descriptor) error {
	var total int64
	add := func(img cr.Image) error {
		m, err := img.Manifest()
		if err != nil {
			return fmt.Errorf("read the source manifest: %w", err)
		}
		total += m.Config.Size
		for _, l := range m.Layers {
			total += l.Size
		}
		return nil
	}
	var walk func(idx cr.ImageIndex) error
	walk = func(idx cr.ImageIndex) error {
		im, err := idx.IndexManifest()
		if err != nil {
			return fmt.Errorf("read the source index: %w", err)
		}
		for _, d := range im.Manifests {
			switch {
			case d.MediaType.IsImage():
				img, err := idx.Image(d.Digest)
				if err != nil {
					return fmt.Errorf("read manifest %s: %w", d.Digest, err)
				}
				if err := add(img); err != nil {
					return err
				}
			case d.MediaType.IsIndex():
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return fmt.Errorf("read index %s: %w", d.Digest, err)
				}
				if err := walk(child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var err error
	switch {
	case desc.MediaType.IsIndex():
		idx, ierr := desc.ImageIndex()
		if ierr != nil {
			return fmt.Errorf("read the source index: %w", ierr)
		}
		err = walk(idx)
	case desc.MediaType.IsImage():
		img, ierr := desc.Image()
		if ierr != nil {
			return fmt.Errorf("read the source image: %w", ierr)
		}
		err = add(img)
	}
	if err != nil {
		return err
	}
	if total > s.opts.MaxCopyBytes {
		return steps.Terminal(steps.Reasoned(ReasonImageTooLarge, fmt.Errorf(
			"a copy to another repository may move at most %d bytes, the source has %d", s.opts.MaxCopyBytes, total)))
	}
	return nil
}
