package freight_test

import (
	"regexp"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/freight"
)

func TestID(t *testing.T) {
	origin := v1.FreightOrigin{Kind: "Warehouse", Name: "my-warehouse"}
	tests := []struct {
		name string
		f    *v1.Freight
		want string
	}{
		{
			// Computed by hand:
			//   printf '%s' 'Warehouse/my-warehouse:ghcr.io/example/frontend:1.27.0@sha256:b2487a28589657b318e0d63110056e11564e73b9fd3ec4c4afba5542f9d07d46:frontend|https://github.com/example/kargo-demo:961cfaedbc53aacdb65110028839a2c1c281290d|https:/charts.example.com/my-chart:1.2.3' | sha1sum
			// The Git URL loses ".git"; the image keeps its URL and gets ":frontend"; path.Join
			// turns the chart's "https://" into "https:/"; "https://g…" sorts before "https:/c…".
			name: "commit, image and chart",
			f: &v1.Freight{
				Origin:  origin,
				Commits: []v1.GitCommit{{RepoURL: "https://github.com/example/kargo-demo.git", ID: "961cfaedbc53aacdb65110028839a2c1c281290d", Branch: "main", Message: "not part of the ID"}},
				Images:  []v1.Image{{RepoURL: "ghcr.io/example/frontend", Tag: "1.27.0", Digest: "sha256:b2487a28589657b318e0d63110056e11564e73b9fd3ec4c4afba5542f9d07d46", SubscriptionName: "frontend", Annotations: map[string]string{"a": "b"}}},
				Charts:  []v1.Chart{{RepoURL: "https://charts.example.com", Name: "my-chart", Version: "1.2.3"}},
			},
			want: "cf1a104713bbce2afe8745ae68b0ecf7325ea2e2",
		},
		{
			name: "same content, other order, name and status ignored",
			f: &v1.Freight{
				Metadata: v1.ObjectMeta{Name: "user-supplied"},
				Alias:    "mortal-dragonfly",
				Origin:   origin,
				Charts:   []v1.Chart{{RepoURL: "HTTPS://Charts.Example.com", Name: "my-chart", Version: "1.2.3"}},
				Images:   []v1.Image{{RepoURL: "ghcr.io/example/frontend", Tag: "1.27.0", Digest: "sha256:b2487a28589657b318e0d63110056e11564e73b9fd3ec4c4afba5542f9d07d46", SubscriptionName: "frontend"}},
				Commits:  []v1.GitCommit{{RepoURL: " https://user:pw@GitHub.com/example/kargo-demo/ ", ID: "961cfaedbc53aacdb65110028839a2c1c281290d"}},
			},
			want: "cf1a104713bbce2afe8745ae68b0ecf7325ea2e2",
		},
		{
			// printf '%s' 'Warehouse/wh:nginx:1.27@sha256:0000|ssh://git@github.com/x/cfg:v1.0.0:abc123' | sha1sum
			name: "tagged commit in SCP form, Docker Hub image kept as written",
			f: &v1.Freight{
				Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "wh"},
				Commits: []v1.GitCommit{{RepoURL: "git@github.com:x/cfg.git", Tag: "v1.0.0", ID: "abc123"}},
				Images:  []v1.Image{{RepoURL: "nginx", Tag: "1.27", Digest: "sha256:0000"}},
			},
			want: "33c063d5a08712e95beed4d8d643afe1064ccd4a",
		},
		{
			// printf '%s' 'Warehouse/charts:ghcr.io/x/charts/app:0.3.0' | sha1sum
			name: "oci chart without a name",
			f: &v1.Freight{
				Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "charts"},
				Charts: []v1.Chart{{RepoURL: "oci://ghcr.io/x/charts/app", Version: "0.3.0"}},
			},
			want: "993dd7558008c1982fc991319ea058ca2fa11b8e",
		},
		{
			// printf '%s' 'Warehouse/w:' | sha1sum
			name: "no artifacts",
			f:    &v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "w"}},
			want: "27fe6a4d90176761691f906e1a4775e8ed991924",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := freight.ID(tt.f); got != tt.want {
				t.Errorf("ID(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestIDChangesWithContent(t *testing.T) {
	base := func() *v1.Freight {
		return &v1.Freight{
			Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "w"},
			Commits: []v1.GitCommit{{RepoURL: "https://github.com/x/cfg", ID: "abc"}},
			Images:  []v1.Image{{RepoURL: "ghcr.io/x/app", Tag: "1.0.0", Digest: "sha256:1"}},
		}
	}
	ref := freight.ID(base())
	changes := map[string]func(f *v1.Freight){
		"origin name":              func(f *v1.Freight) { f.Origin.Name = "other" },
		"commit id":                func(f *v1.Freight) { f.Commits[0].ID = "def" },
		"commit tag":               func(f *v1.Freight) { f.Commits[0].Tag = "v1" },
		"commit subscription name": func(f *v1.Freight) { f.Commits[0].SubscriptionName = "cfg" },
		"image tag":                func(f *v1.Freight) { f.Images[0].Tag = "1.0.1" },
		"image digest":             func(f *v1.Freight) { f.Images[0].Digest = "sha256:2" },
		"image URL is not normalised": func(f *v1.Freight) {
			f.Images[0].RepoURL = "GHCR.io/x/app"
		},
	}
	for name, change := range changes {
		f := base()
		change(f)
		if got := freight.ID(f); got == ref {
			t.Errorf("ID after changing %s = %q, want a different ID", name, got)
		}
	}
}

func TestNormalizeGitURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/example/repo.git", "https://github.com/example/repo"},
		{"https://github.com/example/repo/", "https://github.com/example/repo"},
		{"https://github.com/example/repo.git/", "https://github.com/example/repo"},
		{"https://github.com/example/repo.git.git", "https://github.com/example/repo.git"},
		{"HTTPS://GitHub.com/Example/Repo.GIT", "https://github.com/example/repo"},
		{"https://user:secret@github.com/example/repo.git", "https://github.com/example/repo"},
		{"http://git.example.com:8080/repo", "http://git.example.com:8080/repo"},
		{"  https://github.com/example/repo\u200b\n", "https://github.com/example/repo"},
		{"https://github.com/exa mple/repo", "https://github.com/example/repo"},
		{"https://github.com/example/repo?ref=main", "https://github.com/example/repo?ref=main"},
		{"https://GitHub.com/x?y=1", "https://GitHub.com/x?y=1"},
		{"ssh://git@github.com/example/repo.git", "ssh://git@github.com/example/repo"},
		{"ssh://git@github.com:2222/example/repo/", "ssh://git@github.com:2222/example/repo"},
		{"git@github.com:example/repo.git", "ssh://git@github.com/example/repo"},
		{"github.com:example/repo", "ssh://github.com/example/repo"},
		{"git@github.com", "ssh://git@github.com"},
		{"not a url/with slash", "not a url/with slash"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := freight.NormalizeGitURL(tt.in); got != tt.want {
			t.Errorf("NormalizeGitURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeImageURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nginx", "nginx"},
		{"library/nginx", "nginx"},
		{"docker.io/library/nginx", "nginx"},
		{"index.docker.io/library/nginx", "nginx"},
		{"registry-1.docker.io/library/nginx", "nginx"},
		{"docker.io/bitnami/redis", "bitnami/redis"},
		{"Docker.io/Library/Nginx", "nginx"},
		{"ghcr.io/example/app", "ghcr.io/example/app"},
		{"GHCR.io/Example/App", "ghcr.io/example/app"},
		{"ghcr.io/example/app:1.2.3", "ghcr.io/example/app"},
		{"localhost:5000/app", "localhost:5000/app"},
		{" quay.io/org/app \t", "quay.io/org/app"},
		{"https://ghcr.io/example/app", "https://ghcr.io/example/app"},
		{"not a valid ref!", "not a valid ref!"},
	}
	for _, tt := range tests {
		if got := freight.NormalizeImageURL(tt.in); got != tt.want {
			t.Errorf("NormalizeImageURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeChartURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"oci://ghcr.io/example/charts/app", "ghcr.io/example/charts/app"},
		{"OCI://GHCR.io/Example/Charts/App", "ghcr.io/example/charts/app"},
		{"oci://docker.io/library/app", "app"},
		{"oci://registry-1.docker.io/bitnamicharts/redis", "bitnamicharts/redis"},
		{"https://charts.example.com", "https://charts.example.com"},
		{" HTTPS://Charts.Example.com/ ", "https://charts.example.com/"},
	}
	for _, tt := range tests {
		if got := freight.NormalizeChartURL(tt.in); got != tt.want {
			t.Errorf("NormalizeChartURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var aliasRE = regexp.MustCompile(`^[a-z]+-[a-z]+(-[0-9]+)?$`)

func TestNewAlias(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		a := freight.NewAlias(func(s string) bool { return seen[s] })
		if !aliasRE.MatchString(a) || strings.Count(a, "-") != 1 {
			t.Fatalf("NewAlias() = %q, want <adjective>-<animal>", a)
		}
		if seen[a] {
			t.Fatalf("NewAlias() = %q, which taken reports as taken", a)
		}
		seen[a] = true
	}
}

func TestNewAliasWhenPlainNamesAreTaken(t *testing.T) {
	calls := 0
	a := freight.NewAlias(func(s string) bool {
		calls++
		return strings.Count(s, "-") == 1 // every plain <adjective>-<animal> is taken
	})
	if !aliasRE.MatchString(a) || strings.Count(a, "-") != 2 {
		t.Errorf("NewAlias(all plain taken) = %q after %d calls, want <adjective>-<animal>-<n>", a, calls)
	}
}

// TestIDOfGenericArtifacts: a generic artifact counts in the ID with its type, version and
// subscription name.
func TestIDOfGenericArtifacts(t *testing.T) {
	base := v1.Freight{Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "ml"}, Images: []v1.Image{{RepoURL: "ghcr.io/x/app", Tag: "v1"}}}
	with := func(a ...v1.GenericArtifact) string {
		f := base
		f.Artifacts = a
		return freight.ID(&f)
	}
	v3 := v1.GenericArtifact{ArtifactType: "modelhub", SubscriptionName: "model", Version: "v3"}
	renamed, newer := v3, v3
	renamed.SubscriptionName, newer.Version = "other", "v4"
	ids := map[string]string{"none": freight.ID(&base), "v3": with(v3), "renamed": with(renamed), "v4": with(newer)}
	seen := map[string]string{}
	for k, id := range ids {
		if prev, dup := seen[id]; dup {
			t.Errorf("Freight %s and %s have the same ID %s", prev, k, id)
		}
		seen[id] = k
	}
	if with(v3) != with(v3) {
		t.Error("the same artifacts give different IDs")
	}
}
