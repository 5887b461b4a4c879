// Package helmdep fetches a chart's dependencies into its charts/ directory with Helm's
// downloader.Manager, as helm dependency update and build do, from classic and oci://
// repositories, with a repository config and cache of its own in a temporary directory.
package helmdep

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/steps"
)

// Options are how repositories are reached. The zero value reads anonymously over HTTPS.
type Options struct {
	// PlainHTTP reaches oci:// registries over plain HTTP, for registries without TLS.
	PlainHTTP bool
	// Credentials, when set, holds Project's Helm credentials (secret.TypeHelm): each
	// dependency repository is read with those for its URL (oci://host/path for a registry),
	// and anonymously when there are none.
	Credentials CredentialStore
	// Project is the project whose credentials are used.
	Project string
}

// UseSecrets sets Credentials to store; a nil store leaves repositories read anonymously.
func (o *Options) UseSecrets(store *secret.Store) {
	if store != nil { // a nil *Store in the interface would not be nil
		o.Credentials = store
	}
}

// CredentialStore finds a project's credentials for a repository URL; *secret.Store is one.
type CredentialStore interface {
	Credentials(ctx context.Context, project, credType, repoURL string) (*secret.Credentials, error)
}

// Update resolves the dependencies in the Chart.yaml at chartPath (an absolute path inside
// workspace), downloads them into charts/ and writes Chart.lock when it changed (helm
// dependency update).
func Update(ctx context.Context, chartPath, workspace string, o Options) error {
	return run(ctx, chartPath, workspace, o, (*downloader.Manager).Update)
}

// Build downloads the dependencies pinned in Chart.lock into charts/, or does Update when
// there is no Chart.lock (helm dependency build).
func Build(ctx context.Context, chartPath, workspace string, o Options) error {
	return run(ctx, chartPath, workspace, o, (*downloader.Manager).Build)
}

func run(ctx context.Context, chartPath, workspace string, o Options, do func(*downloader.Manager) error) error {
	if err := confined(chartPath, workspace); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dray-helm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var out lockedBuffer
	m, err := manager(ctx, chartPath, tmp, &out, o)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Manager takes no context: a deadline bounds each request instead (see manager).
	if err := do(m); err != nil {
		if w := warnings(out.String()); w != "" {
			return fmt.Errorf("%s: %w", w, err)
		}
		return err
	}
	return ctx.Err()
}

// manager returns a Manager for chartPath whose repository config, registry credentials and
// cache live in tmp.
func manager(ctx context.Context, chartPath, tmp string, out *lockedBuffer, o Options) (*downloader.Manager, error) {
	repoConfig, registryConfig := filepath.Join(tmp, "repositories.yaml"), filepath.Join(tmp, "registry.json")
	if err := o.writeCredentials(ctx, chartPath, repoConfig, registryConfig); err != nil {
		return nil, err
	}
	regOpts := []registry.ClientOption{
		registry.ClientOptCredentialsFile(registryConfig),
		registry.ClientOptWriter(out),
	}
	if o.PlainHTTP {
		regOpts = append(regOpts, registry.ClientOptPlainHTTP())
	}
	rc, err := registry.NewClient(regOpts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	var extra []getter.Option
	if dl, ok := ctx.Deadline(); ok {
		extra = append(extra, getter.WithTimeout(max(time.Until(dl), time.Millisecond)))
	}
	getters := getter.Providers{
		{Schemes: []string{"http", "https"}, New: func(opts ...getter.Option) (getter.Getter, error) {
			return getter.NewHTTPGetter(append(opts, extra...)...)
		}},
		{Schemes: []string{registry.OCIScheme}, New: func(opts ...getter.Option) (getter.Getter, error) {
			return getter.NewOCIGetter(append(opts, append(extra, getter.WithRegistryClient(rc), getter.WithPlainHTTP(o.PlainHTTP))...)...)
		}},
	}
	return &downloader.Manager{
		Out: out, ChartPath: chartPath, Getters: getters, RegistryClient: rc,
		RepositoryConfig: repoConfig, RepositoryCache: filepath.Join(tmp, "cache"),
	}, nil
}

// writeCredentials writes the repository config Helm reads (repoConfig) and the registry
// credentials file (registryConfig), both 0600 in the temporary directory: an entry for every
// classic repository that chartPath's dependencies name and o.Credentials has credentials
// for, and the credentials of every such registry host.
func (o Options) writeCredentials(ctx context.Context, chartPath, repoConfig, registryConfig string) error {
	file := repo.NewFile()
	auths := map[string]map[string]string{}
	if o.Credentials != nil {
		md, err := readChartfile(chartPath)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range md.Dependencies {
			u := d.Repository
			if u == "" || seen[u] || strings.HasPrefix(u, "file://") || strings.HasPrefix(u, "@") || strings.HasPrefix(u, "alias:") {
				continue
			}
			seen[u] = true
			c, err := o.Credentials.Credentials(ctx, o.Project, secret.TypeHelm, u)
			if err != nil {
				return fmt.Errorf("look up Helm credentials for %s: %w", u, err)
			}
			if c == nil || c.Username == "" && c.Password == "" {
				continue
			}
			if registry.IsOCI(u) {
				host, _, _ := strings.Cut(strings.TrimPrefix(u, "oci://"), "/")
				auths[host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))}
				continue
			}
			file.Add(&repo.Entry{Name: fmt.Sprintf("dray-%d", len(file.Repositories)+1), URL: u, Username: c.Username, Password: c.Password})
		}
	}
	if err := file.WriteFile(repoConfig, 0o600); err != nil {
		return err
	}
	data, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		return err
	}
	return os.WriteFile(registryConfig, data, 0o600)
}

// readChartfile reads the Chart.yaml of the chart at chartPath.
func readChartfile(chartPath string) (*chart.Metadata, error) {
	data, err := os.ReadFile(filepath.Join(chartPath, chartutil.ChartfileName))
	if err != nil {
		return nil, err
	}
	var md chart.Metadata
	if err := sigsyaml.Unmarshal(data, &md); err != nil {
		return nil, fmt.Errorf("%s: %w", chartutil.ChartfileName, err)
	}
	return &md, nil
}

// confined checks that the chart at chartPath neither holds a symlink that leads outside
// workspace nor depends on a file:// chart outside it. Helm's loader follows symlinks.
func confined(chartPath, workspace string) error {
	err := filepath.WalkDir(chartPath, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, err := filepath.Rel(workspace, p)
		if err != nil {
			return err
		}
		_, err = steps.SecurePath(workspace, rel)
		return err
	})
	if err != nil {
		return err
	}
	md, err := readChartfile(chartPath)
	if err != nil {
		return err
	}
	for _, d := range md.Dependencies {
		if !strings.HasPrefix(d.Repository, "file://") {
			continue
		}
		u, err := url.Parse(d.Repository)
		if err != nil {
			return fmt.Errorf("dependency %s: repository: %w", d.Name, err)
		}
		local := filepath.Join(u.Host, u.Path)
		if !filepath.IsAbs(local) {
			local = filepath.Join(chartPath, local)
		}
		rel, err := filepath.Rel(workspace, local)
		if err != nil || !filepath.IsLocal(rel) {
			return fmt.Errorf("dependency %s: %w: %s", d.Name, steps.ErrPathEscape, d.Repository)
		}
		if _, err := steps.SecurePath(workspace, rel); err != nil {
			return fmt.Errorf("dependency %s: %w", d.Name, err)
		}
	}
	return nil
}

// warnings returns Helm's warnings about repositories it could not read, from Manager's
// output, joined: they explain a failure that Helm's error leaves vague.
func warnings(out string) string {
	var ws []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "Unable to get an update") {
			continue
		}
		w := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "..."), ":")
		if i+1 < len(lines) {
			w += ": " + strings.TrimSpace(lines[i+1])
		}
		ws = append(ws, w)
	}
	return strings.Join(ws, "; ")
}

// lockedBuffer is Manager's Out: Helm writes to it from several goroutines at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
