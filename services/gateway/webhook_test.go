package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestProviders: each provider accepts its own proof of the secret, refuses a wrong or
// missing one, and reads the pushed repository and artifact from its payload.
func TestProviders(t *testing.T) {
	const secret = "s3cret"
	gh := `{"ref":"refs/heads/main","after":"abc123","repository":{"clone_url":"https://github.com/x/cfg.git","ssh_url":"git@github.com:x/cfg.git"}}`
	ghTag := `{"ref":"refs/tags/v1.2.0","after":"abc123","repository":{"clone_url":"https://github.com/x/cfg.git"}}`
	ghDelete := `{"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","repository":{"clone_url":"https://github.com/x/cfg.git"}}`
	ghPkg := `{"action":"published","package":{"package_type":"CONTAINER","name":"app","owner":{"login":"X"},"package_version":{"name":"sha256:d1","package_url":"ghcr.io/x/app:1.0.0","container_metadata":{"tag":{"name":"1.0.0","digest":"sha256:d1"}}}}}`
	gl := `{"object_kind":"push","ref":"refs/heads/main","after":"def","checkout_sha":"def","project":{"git_http_url":"https://gitlab.com/x/cfg.git","git_ssh_url":"git@gitlab.com:x/cfg.git"}}`
	gitea := `{"ref":"refs/heads/main","after":"aaa","repository":{"clone_url":"https://gitea.example.com/x/cfg.git"}}`
	bb := `{"push":{"changes":[{"new":{"type":"branch","name":"main","target":{"hash":"bbb"}}},{"new":null}]},"repository":{"full_name":"x/cfg","links":{"html":{"href":"https://bitbucket.org/x/cfg"}}}}`
	hub := `{"push_data":{"tag":"2.0.0"},"repository":{"repo_name":"x/app"}}`
	harbor := `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"digest":"sha256:h1","tag":"3.0.0","resource_url":"harbor.example.com/lib/app:3.0.0"}]}}`
	quay := `{"docker_url":"quay.io/x/app","updated_tags":["a","b"]}`
	acr := `{"action":"push","target":{"repository":"app","tag":"4.0.0","digest":"sha256:a1"},"request":{"host":"x.azurecr.io"}}`
	dist := `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:p1","repository":"app"},"request":{"host":"reg:5000"}},` +
		`{"action":"push","target":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:i1","repository":"app","tag":"5.0.0"},"request":{"host":"reg:5000"}},` +
		`{"action":"pull","target":{"digest":"sha256:i1","repository":"app","tag":"5.0.0"},"request":{"host":"reg:5000"}},` +
		`{"action":"push","target":{"mediaType":"application/octet-stream","digest":"sha256:b1","repository":"app"},"request":{"host":"reg:5000"}}]}`
	generic := `{"repoURL":"https://charts.example.com","version":"1.2.3"}`
	jfrog := `{"domain":"docker","event_type":"pushed","jpd_origin":"https://acme.jfrog.io","data":{"repo_key":"docker-local","path":"team/app/6.0.0/manifest.json","image_type":"docker","tag":"6.0.0"}}`
	jfrogChart := `{"domain":"docker","event_type":"pushed","jpd_origin":"https://acme.jfrog.io","data":{"repo_key":"charts","path":"web/1.2.3/manifest.json","image_type":"oci","tag":"1.2.3"}}`
	jfrogDeploy := `{"domain":"artifact","event_type":"deployed","jpd_origin":"https://acme.jfrog.io","data":{"repo_key":"generic","path":"a/b.zip"}}`

	git := func(url, commit, tag string, urls ...string) push {
		return push{kind: pushGit, urls: append([]string{url}, urls...), artifact: v1.RefreshArtifact{RepoURL: url, Commit: commit, Tag: tag}}
	}
	tests := []struct {
		name, provider, body string
		good, bad            map[string]string // headers proving the secret, and wrong ones
		want                 []push
	}{
		{"github push", "github", gh,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(secret, gh)},
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("other", gh)},
			[]push{git("https://github.com/x/cfg.git", "abc123", "", "git@github.com:x/cfg.git")}},
		{"github tag", "github", ghTag, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(secret, ghTag)}, nil,
			[]push{git("https://github.com/x/cfg.git", "", "v1.2.0")}},
		{"github deleted branch", "github", ghDelete, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign(secret, ghDelete)}, nil, nil},
		{"github ping", "github", `{}`, map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + sign(secret, `{}`)}, nil, nil},
		{"github package", "github", ghPkg,
			map[string]string{"X-GitHub-Event": "package", "X-Hub-Signature-256": "sha256=" + sign(secret, ghPkg)},
			map[string]string{"X-GitHub-Event": "package", "X-Hub-Signature-256": sign(secret, ghPkg)}, // no sha256= prefix
			[]push{imagePush("ghcr.io/x/app", "1.0.0", "sha256:d1")}},
		{"gitlab", "gitlab", gl, map[string]string{"X-Gitlab-Token": secret}, map[string]string{"X-Gitlab-Token": "nope"},
			[]push{git("https://gitlab.com/x/cfg.git", "def", "", "git@gitlab.com:x/cfg.git")}},
		{"gitea", "gitea", gitea, map[string]string{"X-Gitea-Event": "push", "X-Gitea-Signature": sign(secret, gitea)},
			map[string]string{"X-Gitea-Signature": sign(secret, gitea+" ")},
			[]push{git("https://gitea.example.com/x/cfg.git", "aaa", "")}},
		{"bitbucket", "bitbucket", bb, map[string]string{"X-Event-Key": "repo:push", "X-Hub-Signature": "sha256=" + sign(secret, bb)},
			map[string]string{"X-Event-Key": "repo:push"},
			[]push{git("https://bitbucket.org/x/cfg", "bbb", "", "https://bitbucket.org/x/cfg", "git@bitbucket.org:x/cfg.git")}},
		{"dockerhub", "dockerhub", hub, nil, nil, []push{imagePush("docker.io/x/app", "2.0.0", "")}},
		{"harbor", "harbor", harbor, map[string]string{"Authorization": secret}, map[string]string{"Authorization": "Bearer " + secret},
			[]push{imagePush("harbor.example.com/lib/app", "3.0.0", "sha256:h1")}},
		{"quay", "quay", quay, nil, nil, []push{imagePush("quay.io/x/app", "a", ""), imagePush("quay.io/x/app", "b", "")}},
		{"azure", "azure", acr, nil, nil, []push{imagePush("x.azurecr.io/app", "4.0.0", "sha256:a1")}},
		{"distribution", "distribution", dist, map[string]string{"Authorization": "Bearer " + secret}, map[string]string{"Authorization": secret},
			[]push{imagePush("reg:5000/app", "5.0.0", "sha256:i1")}},
		{"artifactory", "artifactory", jfrog, map[string]string{"X-Jfrog-Event-Auth": sign(secret, jfrog)},
			map[string]string{"X-Jfrog-Event-Auth": sign("other", jfrog)},
			[]push{imagePush("acme.jfrog.io/docker-local/team/app", "6.0.0", "")}},
		{"artifactory chart", "artifactory", jfrogChart, map[string]string{"X-Jfrog-Event-Auth": sign(secret, jfrogChart)}, map[string]string{},
			[]push{imagePush("acme.jfrog.io/charts/web", "1.2.3", "")}},
		{"artifactory other event", "artifactory", jfrogDeploy, map[string]string{"X-Jfrog-Event-Auth": sign(secret, jfrogDeploy)}, nil, nil},
		{"generic", "generic", generic, map[string]string{"Authorization": "Bearer " + secret}, map[string]string{},
			[]push{{kind: pushAny, urls: []string{"https://charts.example.com"}, artifact: v1.RefreshArtifact{RepoURL: "https://charts.example.com", Version: "1.2.3"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := providers[tt.provider]
			req := func(h map[string]string) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
				for k, v := range h {
					r.Header.Set(k, v)
				}
				return r
			}
			if err := p.verify(req(tt.good), []byte(tt.body), secret); err != nil {
				t.Fatalf("verify with the secret = %v, want nil", err)
			}
			if tt.bad != nil {
				err := p.verify(req(tt.bad), []byte(tt.body), secret)
				if !errors.Is(err, errBadSignature) && !errors.Is(err, errNoSignature) {
					t.Errorf("verify with a wrong proof = %v, want a signature error", err)
				}
			}
			got, err := p.parse(req(tt.good), []byte(tt.body), receiverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(push{})); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArtifactoryVirtualRepo: with virtualRepoName the pushed repository is named after the
// virtual repository the Warehouses pull through, not the local one the event names.
func TestArtifactoryVirtualRepo(t *testing.T) {
	body := `{"domain":"docker","event_type":"pushed","jpd_origin":"https://acme.jfrog.io","data":{"repo_key":"docker-local","path":"team/app/6.0.0/manifest.json","image_type":"docker","tag":"6.0.0"}}`
	p, _, opts, err := providerOf(v1.WebhookReceiver{Name: "jfrog", Artifactory: &v1.ArtifactoryWebhookReceiverConfig{
		SecretRef: v1.LocalObjectReference{Name: "s"}, VirtualRepoName: "docker-virtual",
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.parse(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), []byte(body), opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]push{imagePush("acme.jfrog.io/docker-virtual/team/app", "6.0.0", "")}, got, cmp.AllowUnexported(push{})); diff != "" {
		t.Errorf("parse (-want +got):\n%s", diff)
	}
}

// TestWatchedBy: a push matches subscriptions by normalised URL and kind.
func TestWatchedBy(t *testing.T) {
	img := imagePush("docker.io/library/nginx", "1.0", "")
	gitp := push{kind: pushGit, urls: []string{"https://GitHub.com/x/cfg.git/"}}
	tests := []struct {
		name string
		p    push
		sub  v1.RepoSubscription
		want bool
	}{
		{"docker hub library", img, v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: "nginx"}}, true},
		{"other image", img, v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: "ghcr.io/x/nginx"}}, false},
		{"oci chart", imagePush("reg.example.com/charts/app", "1.0.0", ""), v1.RepoSubscription{Chart: &v1.ChartSubscription{RepoURL: "oci://reg.example.com/charts/app"}}, true},
		{"git normalised", gitp, v1.RepoSubscription{Git: &v1.GitSubscription{RepoURL: "https://github.com/x/cfg"}}, true},
		{"git push is not an image", gitp, v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: "github.com/x/cfg"}}, false},
		{"generic classic chart", push{kind: pushAny, urls: []string{"https://Charts.example.com/"}}, v1.RepoSubscription{Chart: &v1.ChartSubscription{RepoURL: "https://charts.example.com", Name: "a"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.p.watchedBy([]v1.RepoSubscription{tt.sub}); got != tt.want {
				t.Errorf("watchedBy = %t, want %t", got, tt.want)
			}
		})
	}
}

// TestWebhookPath: the path depends on the project, the name and the secret.
func TestWebhookPath(t *testing.T) {
	a := WebhookPath("p", "r", "s")
	for _, other := range []string{WebhookPath("p", "r", "t"), WebhookPath("p", "q", "s"), WebhookPath("q", "r", "s")} {
		if other == a {
			t.Errorf("WebhookPath collides: %s", a)
		}
	}
	if !strings.HasPrefix(a, "/webhooks/p/") || len(a) != len("/webhooks/p/")+64 {
		t.Errorf("WebhookPath = %q, want /webhooks/p/<64 hex>", a)
	}
}
