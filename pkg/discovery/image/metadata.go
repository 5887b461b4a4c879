package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	cr "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Annotation and label keys that carry an image's build time, in order of preference.
const (
	annotationCreated = "org.opencontainers.image.created"
	labelSchemaBuilt  = "org.label-schema.build-date"
)

// meta is what one read of a tag or digest learnt.
type meta struct {
	ref v1.DiscoveredImageReference
	// eligible is false for artifacts that are not images, and for images that do not have
	// the subscription's platform.
	eligible bool
}

// readAll reads the metadata of every tag, at most d.conc at a time, and returns it in the
// order of tags. Tags that vanished since they were listed give nil. The first error cancels
// the other reads.
func (d *discoverer) readAll(ctx context.Context, tags []string) ([]*meta, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]*meta, len(tags))
	sem := make(chan struct{}, d.conc)
	var wg sync.WaitGroup
	for i, tag := range tags {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			m, err := d.readTag(ctx, tag)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				cancel(err)
			default:
				out[i] = m
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// readTag reads the metadata of tag: from the cache when the subscription keeps one
// (cacheByTag), else from the registry, and then into the cache.
func (d *discoverer) readTag(ctx context.Context, tag string) (*meta, error) {
	if d.cache != nil {
		if m, ok := d.cache.get(d.cacheKey + tag); ok {
			return m, nil
		}
	}
	m, err := d.read(ctx, d.repo.Tag(tag), tag)
	if err == nil && d.cache != nil {
		d.cache.put(d.cacheKey+tag, m)
	}
	return m, err
}

// read fetches the manifest named by ref and, when needed for the build time, the image
// configuration(s). tag is recorded in the reference (empty for a digest).
func (d *discoverer) read(ctx context.Context, ref name.Reference, tag string) (*meta, error) {
	desc, err := d.puller.Get(ctx, ref)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
		}
		return nil, fmt.Errorf("get manifest of %s: %w", ref, err)
	}
	m := &meta{ref: v1.DiscoveredImageReference{Tag: tag, Digest: desc.Digest.String()}}
	switch {
	case desc.MediaType.IsIndex():
		err = d.readIndex(ctx, desc, m)
	case desc.MediaType.IsImage():
		if d.platform != nil {
			return m, nil // a single image has no platform list: never eligible
		}
		err = d.readImage(ctx, desc.Digest, desc.Manifest, m)
	default:
		return m, nil // not an image (signature, chart, other artifact)
	}
	if err != nil {
		return nil, fmt.Errorf("read metadata of %s: %w", ref, err)
	}
	return m, nil
}

// readIndex fills m from an index: its annotations (overlaid with the matching platform's)
// and its build time, the index's annotation or else the newest of its platform images (the
// matching one only, when the subscription names a platform).
func (d *discoverer) readIndex(ctx context.Context, desc *remote.Descriptor, m *meta) error {
	im, err := cr.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return err
	}
	m.ref.Annotations = maps.Clone(im.Annotations)
	var entries []cr.Descriptor
	for _, e := range im.Manifests {
		p := e.Platform
		if p == nil || p.OS == "" || p.OS == "unknown" || p.Architecture == "" || p.Architecture == "unknown" {
			continue
		}
		if d.platform == nil {
			entries = append(entries, e)
		} else if p.OS == d.platform.OS && p.Architecture == d.platform.Architecture && p.Variant == d.platform.Variant {
			entries = append(entries, e)
			if len(e.Annotations) > 0 && m.ref.Annotations == nil {
				m.ref.Annotations = map[string]string{}
			}
			maps.Copy(m.ref.Annotations, e.Annotations)
			break
		}
	}
	if d.platform != nil && len(entries) == 0 {
		return nil
	}
	m.eligible = true
	if t := annotationTime(im.Annotations); t != nil {
		m.ref.CreatedAt = t
		return nil
	}
	for _, e := range entries {
		if !e.MediaType.IsImage() {
			continue
		}
		pm := &meta{}
		pdesc, err := d.puller.Get(ctx, d.repo.Digest(e.Digest.String()))
		if err != nil {
			return fmt.Errorf("get manifest of platform %s: %w", e.Platform, err)
		}
		if err := d.readImage(ctx, pdesc.Digest, pdesc.Manifest, pm); err != nil {
			return fmt.Errorf("platform %s: %w", e.Platform, err)
		}
		if pm.ref.CreatedAt != nil && (m.ref.CreatedAt == nil || pm.ref.CreatedAt.After(*m.ref.CreatedAt)) {
			m.ref.CreatedAt = pm.ref.CreatedAt
		}
	}
	return nil
}

// readImage fills m from a single image manifest: its annotations and its build time, from the
// annotations or else from the configuration's created time, replaced by the build date in its
// labels when that is later.
func (d *discoverer) readImage(ctx context.Context, dig cr.Hash, manifest []byte, m *meta) error {
	mf, err := cr.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return err
	}
	m.eligible = true
	if m.ref.Annotations == nil {
		m.ref.Annotations = maps.Clone(mf.Annotations)
	}
	if t := annotationTime(mf.Annotations); t != nil {
		m.ref.CreatedAt = t
		return nil
	}
	layer, err := d.puller.Layer(ctx, d.repo.Digest(mf.Config.Digest.String()))
	if err != nil {
		return fmt.Errorf("get config of %s: %w", dig, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fmt.Errorf("get config of %s: %w", dig, err)
	}
	defer rc.Close()
	cf, err := cr.ParseConfigFile(rc)
	if err != nil {
		return nil // an artifact whose config is not an image config has no build time
	}
	var t *time.Time
	if !cf.Created.IsZero() {
		c := cf.Created.UTC()
		t = &c
	}
	if lt := annotationTime(cf.Config.Labels); lt != nil && (t == nil || lt.After(*t)) {
		t = lt
	}
	m.ref.CreatedAt = t
	return nil
}

// annotationTime returns the build time recorded in annotations or labels, or nil.
func annotationTime(kv map[string]string) *time.Time {
	for _, k := range []string{annotationCreated, labelSchemaBuilt} {
		if s, ok := kv[k]; ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				t = t.UTC()
				return &t
			}
		}
	}
	return nil
}

// isNotFound reports whether err is the registry saying the manifest does not exist.
func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode {
			return true
		}
	}
	return false
}
