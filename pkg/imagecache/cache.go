package imagecache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrv1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Cache pulls images and keeps them unpacked by digest. It is safe for concurrent use, and
// several processes may share one directory: trees are renamed into place atomically.
type Cache struct {
	dir       string
	platform  ggcrv1.Platform
	transport http.RoundTripper
	maxSize   int64

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// Option tunes a Cache.
type Option func(*Cache)

// WithPlatform selects the image of a multi-platform index. Default linux/amd64.
func WithPlatform(p ggcrv1.Platform) Option { return func(c *Cache) { c.platform = p } }

// WithTransport sets the HTTP transport to registries. Default remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option { return func(c *Cache) { c.transport = t } }

// WithMaxSize bounds the uncompressed size of one image; a bigger image fails to unpack with
// ErrTooLarge. Default 8 GiB.
func WithMaxSize(n int64) Option { return func(c *Cache) { c.maxSize = n } }

// Image is an image ready to run.
type Image struct {
	// Digest is the manifest digest of the platform image.
	Digest ggcrv1.Hash
	// Rootfs is the absolute path of the unpacked root filesystem. Treat it as read-only: it
	// is shared by every run of the image.
	Rootfs string
	// Config is the image's runtime config: Env, WorkingDir, User and so on.
	Config ggcrv1.Config
}

// New returns a cache that keeps its images under dir, creating it when needed.
func New(dir string, opts ...Option) (*Cache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		dir:       abs,
		platform:  ggcrv1.Platform{OS: "linux", Architecture: "amd64"},
		transport: remote.DefaultTransport,
		maxSize:   8 << 30,
		locks:     map[string]*sync.Mutex{},
	}
	for _, o := range opts {
		o(c)
	}
	for _, sub := range []string{"images", "refs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create image cache: %w", err)
		}
	}
	return c, nil
}

// Get returns ref's image for the cache's platform, pulling and unpacking it first when the
// cache does not hold it. A tag costs one manifest HEAD request when the image is cached; a
// digest reference costs none. auth may be nil for anonymous access. Errors name the image.
func (c *Cache) Get(ctx context.Context, ref string, auth authn.Authenticator) (*Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	opts := []remote.Option{
		remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(c.transport),
		remote.WithPlatform(c.platform),
	}
	top, err := c.resolve(r, opts)
	if err != nil {
		return nil, fmt.Errorf("resolve image %s: %w", ref, err)
	}
	refFile := filepath.Join(c.dir, "refs", top.Hex+"-"+c.platform.OS+"-"+c.platform.Architecture)
	if img, ok := c.cached(refFile); ok {
		return img, nil
	}
	lock := c.lock(top.String())
	lock.Lock()
	defer lock.Unlock()
	if img, ok := c.cached(refFile); ok { // another caller pulled it while we waited
		return img, nil
	}
	pinned := r.Context().Digest(top.String())
	img, err := remote.Image(pinned, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull image %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("pull image %s: %w", ref, err)
	}
	if _, err := os.Stat(c.imageDir(digest)); errors.Is(err, os.ErrNotExist) {
		if err := c.unpackImage(ctx, img, digest); err != nil {
			return nil, fmt.Errorf("unpack image %s: %w", ref, err)
		}
	}
	if err := writeFileAtomic(refFile, []byte(digest.String())); err != nil {
		return nil, err
	}
	out, err := c.load(digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	return out, nil
}

// resolve returns the digest r names: the digest itself, or the one its tag points to now.
func (c *Cache) resolve(r name.Reference, opts []remote.Option) (ggcrv1.Hash, error) {
	if d, ok := r.(name.Digest); ok {
		return ggcrv1.NewHash(d.DigestStr())
	}
	desc, err := remote.Head(r, opts...)
	if err != nil {
		return ggcrv1.Hash{}, err
	}
	return desc.Digest, nil
}

// cached returns the image a ref file points to, when its tree is complete.
func (c *Cache) cached(refFile string) (*Image, bool) {
	b, err := os.ReadFile(refFile)
	if err != nil {
		return nil, false
	}
	h, err := ggcrv1.NewHash(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, false
	}
	img, err := c.load(h)
	return img, err == nil
}

func (c *Cache) load(h ggcrv1.Hash) (*Image, error) {
	dir := c.imageDir(h)
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("read cached image config: %w", err)
	}
	img := &Image{Digest: h, Rootfs: filepath.Join(dir, "rootfs")}
	if err := json.Unmarshal(b, &img.Config); err != nil {
		return nil, fmt.Errorf("decode cached image config: %w", err)
	}
	return img, nil
}

func (c *Cache) imageDir(h ggcrv1.Hash) string {
	return filepath.Join(c.dir, "images", h.Algorithm+"-"+h.Hex)
}

// unpackImage leaves images/<digest> complete, or nothing at all.
func (c *Cache) unpackImage(ctx context.Context, img ggcrv1.Image, digest ggcrv1.Hash) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if cfg.OS != "" && (cfg.OS != c.platform.OS || cfg.Architecture != c.platform.Architecture) {
		return fmt.Errorf("%w: image is %s/%s, want %s/%s", ErrPlatform, cfg.OS, cfg.Architecture, c.platform.OS, c.platform.Architecture)
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("list layers: %w", err)
	}
	tmp := filepath.Join(c.dir, "tmp", randomName())
	defer os.RemoveAll(tmp)
	rootfs := filepath.Join(tmp, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return err
	}
	u := &unpacker{budget: c.maxSize}
	for i, l := range layers {
		if err := u.layer(ctx, rootfs, l); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	b, err := json.Marshal(cfg.Config)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "config.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.imageDir(digest)); err != nil {
		if _, statErr := os.Stat(c.imageDir(digest)); statErr == nil {
			return nil // another process finished the same image first
		}
		return fmt.Errorf("store unpacked image: %w", err)
	}
	return nil
}

// lock returns the mutex of one digest, so concurrent pulls of one image unpack it once.
func (c *Cache) lock(key string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.locks[key]
	if !ok {
		m = &sync.Mutex{}
		c.locks[key] = m
	}
	return m
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + "." + randomName()
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func randomName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
