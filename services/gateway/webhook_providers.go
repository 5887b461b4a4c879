package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// provider is one kind of webhook sender: how it proves it knows the secret and how its
// payload names what was pushed.
type provider struct {
	name string
	// secretKey is the key of the receiver's Secret that holds the shared secret or token.
	secretKey string
	// verify returns an error unless the request proves it knows secret.
	verify func(r *http.Request, body []byte, secret string) error
	// parse returns what the payload says was pushed; events that push nothing give none.
	parse func(r *http.Request, body []byte, o receiverOptions) ([]push, error)
}

// Errors of webhook verification; each is answered 401.
var (
	errNoSignature  = errors.New("the request carries no signature or token")
	errBadSignature = errors.New("the signature or token does not match the receiver's secret")
)

var providers = map[string]*provider{
	"github":       {name: "github", secretKey: "secret", verify: hmacSHA256("X-Hub-Signature-256", "sha256="), parse: parseGitHub},
	"gitlab":       {name: "gitlab", secretKey: "secret-token", verify: tokenHeader("X-Gitlab-Token", ""), parse: parseGitLab},
	"gitea":        {name: "gitea", secretKey: "secret", verify: hmacSHA256("X-Gitea-Signature", ""), parse: parseGitea},
	"bitbucket":    {name: "bitbucket", secretKey: "secret", verify: hmacSHA256("X-Hub-Signature", "sha256="), parse: parseBitbucket},
	"dockerhub":    {name: "dockerhub", secretKey: "secret", verify: urlToken, parse: parseDockerHub},
	"harbor":       {name: "harbor", secretKey: "auth-header", verify: tokenHeader("Authorization", ""), parse: parseHarbor},
	"quay":         {name: "quay", secretKey: "secret", verify: urlToken, parse: parseQuay},
	"artifactory":  {name: "artifactory", secretKey: "secret-token", verify: hmacSHA256("X-Jfrog-Event-Auth", ""), parse: parseArtifactory},
	"azure":        {name: "azure", secretKey: "secret", verify: urlToken, parse: parseAzure},
	"distribution": {name: "distribution", secretKey: "secret", verify: tokenHeader("Authorization", "Bearer "), parse: parseDistribution},
	"generic":      {name: "generic", secretKey: "secret", verify: tokenHeader("Authorization", "Bearer "), parse: parseGeneric},
}

// receiverOptions are a receiver's settings beyond its Secret, for the parsers that use them.
type receiverOptions struct {
	// virtualRepo is an Artifactory receiver's virtualRepoName.
	virtualRepo string
}

// providerOf returns the provider of a receiver, its Secret reference and its options.
// Exactly one provider key must be set.
func providerOf(rc v1.WebhookReceiver) (*provider, v1.LocalObjectReference, receiverOptions, error) {
	set := map[string]*v1.WebhookReceiverConfig{
		"github": rc.GitHub, "gitlab": rc.GitLab, "gitea": rc.Gitea, "bitbucket": rc.Bitbucket,
		"dockerhub": rc.DockerHub, "harbor": rc.Harbor, "quay": rc.Quay,
		"azure": rc.Azure, "distribution": rc.Distribution, "generic": rc.Generic,
	}
	var o receiverOptions
	if a := rc.Artifactory; a != nil {
		set["artifactory"] = &v1.WebhookReceiverConfig{SecretRef: a.SecretRef}
		o.virtualRepo = a.VirtualRepoName
	}
	var p *provider
	var ref v1.LocalObjectReference
	for k, c := range set {
		if c == nil {
			continue
		}
		if p != nil {
			return nil, ref, o, errors.New("sets more than one provider key: set exactly one")
		}
		p, ref = providers[k], c.SecretRef
	}
	if p == nil {
		return nil, ref, o, errors.New("sets no provider key (github, gitlab, gitea, bitbucket, dockerhub, harbor, quay, artifactory, azure, distribution, generic)")
	}
	if ref.Name == "" {
		return p, ref, o, fmt.Errorf("%s.secretRef.name is empty", p.name)
	}
	return p, ref, o, nil
}

// hmacSHA256 verifies a hex HMAC-SHA256 of the body, keyed with the secret, in header after
// prefix (GitHub's "sha256=").
func hmacSHA256(header, prefix string) func(*http.Request, []byte, string) error {
	return func(r *http.Request, body []byte, secret string) error {
		sig := r.Header.Get(header)
		if sig == "" {
			return fmt.Errorf("%w: no %s header", errNoSignature, header)
		}
		got, err := hex.DecodeString(strings.TrimPrefix(sig, prefix))
		if err != nil || !strings.HasPrefix(sig, prefix) {
			return fmt.Errorf("%w: %s is not %s<hex HMAC-SHA256>", errBadSignature, header, prefix)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if !hmac.Equal(got, mac.Sum(nil)) {
			return fmt.Errorf("%w (%s)", errBadSignature, header)
		}
		return nil
	}
}

// tokenHeader verifies that header is prefix followed by the secret.
func tokenHeader(header, prefix string) func(*http.Request, []byte, string) error {
	return func(r *http.Request, _ []byte, secret string) error {
		got := r.Header.Get(header)
		if got == "" {
			return fmt.Errorf("%w: no %s header", errNoSignature, header)
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(prefix+secret)) != 1 {
			return fmt.Errorf("%w (%s)", errBadSignature, header)
		}
		return nil
	}
}

// urlToken accepts every request: for senders that cannot sign, the path's token, derived
// from the secret, is the proof.
func urlToken(*http.Request, []byte, string) error { return nil }

// gitPush is a push to a Git ref: a new commit on a branch, or a tag.
func gitPush(ref, after string, urls ...string) []push {
	if after == "" || strings.Trim(after, "0") == "" {
		return nil // a deleted ref
	}
	a := v1.RefreshArtifact{RepoURL: firstNonEmpty(urls...)}
	if tag, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		a.Tag = tag
	} else {
		a.Commit = after
	}
	return []push{{kind: pushGit, urls: nonEmpty(urls), artifact: a}}
}

// imagePush is a push of tag and/or digest to an OCI repository.
func imagePush(repo, tag, digest string) push {
	return push{kind: pushImage, urls: []string{repo}, artifact: v1.RefreshArtifact{RepoURL: repo, Tag: tag, Digest: digest}}
}

type gitHubRepo struct {
	CloneURL string `json:"clone_url"`
	HTMLURL  string `json:"html_url"`
	SSHURL   string `json:"ssh_url"`
	GitURL   string `json:"git_url"`
}

type gitHubPackage struct {
	PackageType    string                 `json:"package_type"`
	Name           string                 `json:"name"`
	Namespace      string                 `json:"namespace"`
	Owner          struct{ Login string } `json:"owner"`
	PackageVersion struct {
		Name              string `json:"name"`
		PackageURL        string `json:"package_url"`
		ContainerMetadata struct {
			Tag struct {
				Name   string `json:"name"`
				Digest string `json:"digest"`
			} `json:"tag"`
		} `json:"container_metadata"`
	} `json:"package_version"`
}

// parseGitHub reads push, package and registry_package events; ping and others push
// nothing.
func parseGitHub(r *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		Ref             string         `json:"ref"`
		After           string         `json:"after"`
		Repository      gitHubRepo     `json:"repository"`
		Package         *gitHubPackage `json:"package"`
		RegistryPackage *gitHubPackage `json:"registry_package"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	switch r.Header.Get("X-GitHub-Event") {
	case "push":
		return gitPush(e.Ref, e.After, e.Repository.CloneURL, e.Repository.HTMLURL, e.Repository.SSHURL), nil
	case "package", "registry_package":
		p := e.Package
		if p == nil {
			p = e.RegistryPackage
		}
		if p == nil || !strings.EqualFold(p.PackageType, "container") && !strings.EqualFold(p.PackageType, "docker") {
			return nil, nil
		}
		repo := repoOf(p.PackageVersion.PackageURL)
		if repo == "" {
			repo = "ghcr.io/" + strings.ToLower(p.Owner.Login) + "/" + strings.ToLower(p.Name)
		}
		tag, digest := p.PackageVersion.ContainerMetadata.Tag.Name, p.PackageVersion.ContainerMetadata.Tag.Digest
		if digest == "" && strings.HasPrefix(p.PackageVersion.Name, "sha256:") {
			digest = p.PackageVersion.Name
		}
		return []push{imagePush(repo, tag, digest)}, nil
	}
	return nil, nil
}

// parseGitLab reads push and tag push events.
func parseGitLab(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		ObjectKind  string `json:"object_kind"`
		Ref         string `json:"ref"`
		After       string `json:"after"`
		CheckoutSHA string `json:"checkout_sha"`
		Project     struct {
			GitHTTPURL string `json:"git_http_url"`
			GitSSHURL  string `json:"git_ssh_url"`
			WebURL     string `json:"web_url"`
		} `json:"project"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.ObjectKind != "push" && e.ObjectKind != "tag_push" {
		return nil, nil
	}
	after := e.After
	if e.ObjectKind == "push" && e.CheckoutSHA != "" {
		after = e.CheckoutSHA
	}
	return gitPush(e.Ref, after, e.Project.GitHTTPURL, e.Project.WebURL, e.Project.GitSSHURL), nil
}

// parseGitea reads push events, shaped like GitHub's.
func parseGitea(r *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	if ev := r.Header.Get("X-Gitea-Event"); ev != "" && ev != "push" {
		return nil, nil
	}
	var e struct {
		Ref        string     `json:"ref"`
		After      string     `json:"after"`
		Repository gitHubRepo `json:"repository"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	return gitPush(e.Ref, e.After, e.Repository.CloneURL, e.Repository.HTMLURL, e.Repository.SSHURL), nil
}

// parseBitbucket reads repo:push events: each change of a branch or tag.
func parseBitbucket(r *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	if ev := r.Header.Get("X-Event-Key"); ev != "" && ev != "repo:push" {
		return nil, nil
	}
	var e struct {
		Push struct {
			Changes []struct {
				New *struct {
					Type   string `json:"type"`
					Name   string `json:"name"`
					Target struct {
						Hash string `json:"hash"`
					} `json:"target"`
				} `json:"new"`
			} `json:"changes"`
		} `json:"push"`
		Repository struct {
			FullName string `json:"full_name"`
			Links    struct {
				HTML struct {
					Href string `json:"href"`
				} `json:"html"`
			} `json:"links"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	urls := []string{e.Repository.Links.HTML.Href}
	if e.Repository.FullName != "" {
		urls = append(urls, "https://bitbucket.org/"+e.Repository.FullName, "git@bitbucket.org:"+e.Repository.FullName+".git")
	}
	var out []push
	for _, c := range e.Push.Changes {
		if c.New == nil {
			continue // a deleted branch or tag
		}
		ref := "refs/heads/" + c.New.Name
		if c.New.Type == "tag" {
			ref = "refs/tags/" + c.New.Name
		}
		out = append(out, gitPush(ref, c.New.Target.Hash, urls...)...)
	}
	return out, nil
}

// parseDockerHub reads a Docker Hub push.
func parseDockerHub(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		PushData struct {
			Tag string `json:"tag"`
		} `json:"push_data"`
		Repository struct {
			RepoName string `json:"repo_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.Repository.RepoName == "" {
		return nil, nil
	}
	return []push{imagePush("docker.io/"+e.Repository.RepoName, e.PushData.Tag, "")}, nil
}

// parseHarbor reads PUSH_ARTIFACT events: each pushed resource.
func parseHarbor(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		Type      string `json:"type"`
		EventData struct {
			Resources []struct {
				Digest      string `json:"digest"`
				Tag         string `json:"tag"`
				ResourceURL string `json:"resource_url"`
			} `json:"resources"`
		} `json:"event_data"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.Type != "PUSH_ARTIFACT" && e.Type != "pushImage" {
		return nil, nil
	}
	var out []push
	for _, res := range e.EventData.Resources {
		if repo := repoOf(res.ResourceURL); repo != "" {
			out = append(out, imagePush(repo, res.Tag, res.Digest))
		}
	}
	return out, nil
}

// parseArtifactory reads a JFrog Artifactory docker "pushed" event: the image, or OCI Helm
// chart, at <jpd_origin's host>/<repo_key, or the receiver's virtual repository>/<path less
// its last two segments, the tag and manifest.json>. Other events push nothing.
func parseArtifactory(_ *http.Request, body []byte, o receiverOptions) ([]push, error) {
	var e struct {
		Domain    string `json:"domain"`
		EventType string `json:"event_type"`
		Origin    string `json:"jpd_origin"`
		Data      struct {
			RepoKey   string `json:"repo_key"`
			Path      string `json:"path"`
			ImageType string `json:"image_type"`
			Tag       string `json:"tag"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.Domain != "docker" || e.EventType != "pushed" {
		return nil, nil
	}
	origin, err := url.Parse(e.Origin)
	if err != nil || origin.Host == "" {
		return nil, fmt.Errorf("jpd_origin %q is not a URL", e.Origin)
	}
	parts := strings.Split(strings.Trim(e.Data.Path, "/"), "/")
	if e.Data.RepoKey == "" || len(parts) < 2 {
		return nil, fmt.Errorf("data.repo_key %q and data.path %q do not name an image", e.Data.RepoKey, e.Data.Path)
	}
	repoName := e.Data.RepoKey
	if o.virtualRepo != "" {
		repoName = o.virtualRepo
	}
	repo := strings.Join(append([]string{origin.Host, repoName}, parts[:len(parts)-2]...), "/")
	return []push{imagePush(repo, e.Data.Tag, "")}, nil // matches oci:// chart subscriptions too
}

// parseQuay reads a repository push notification: each updated tag.
func parseQuay(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		DockerURL   string   `json:"docker_url"`
		UpdatedTags []string `json:"updated_tags"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.DockerURL == "" {
		return nil, nil
	}
	if len(e.UpdatedTags) == 0 {
		return []push{imagePush(e.DockerURL, "", "")}, nil
	}
	out := make([]push, 0, len(e.UpdatedTags))
	for _, t := range e.UpdatedTags {
		out = append(out, imagePush(e.DockerURL, t, ""))
	}
	return out, nil
}

// parseAzure reads Azure Container Registry push and chart_push events.
func parseAzure(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		Action string `json:"action"`
		Target struct {
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
			Digest     string `json:"digest"`
			Name       string `json:"name"`
			Version    string `json:"version"`
		} `json:"target"`
		Request struct {
			Host string `json:"host"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	if e.Request.Host == "" || e.Target.Repository == "" {
		return nil, nil
	}
	repo := e.Request.Host + "/" + e.Target.Repository
	switch e.Action {
	case "push":
		return []push{imagePush(repo, e.Target.Tag, e.Target.Digest)}, nil
	case "chart_push":
		p := imagePush(repo, "", "")
		p.artifact.Version = e.Target.Version
		return []push{p}, nil
	}
	return nil, nil
}

// parseDistribution reads a Distribution notification envelope: each manifest push. A push
// by digest alone (the platform manifests of an index) is dropped when the same envelope
// pushes a tag of that repository.
func parseDistribution(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var e struct {
		Events []struct {
			Action string `json:"action"`
			Target struct {
				MediaType  string `json:"mediaType"`
				Digest     string `json:"digest"`
				Repository string `json:"repository"`
				Tag        string `json:"tag"`
			} `json:"target"`
			Request struct {
				Host string `json:"host"`
			} `json:"request"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	var out []push
	tagged := map[string]bool{}
	for _, ev := range e.Events {
		t := ev.Target
		if ev.Action != "push" || t.Repository == "" || ev.Request.Host == "" {
			continue
		}
		if t.Tag == "" && !strings.Contains(t.MediaType, "manifest") && !strings.Contains(t.MediaType, "index") {
			continue // a blob
		}
		repo := ev.Request.Host + "/" + t.Repository
		if t.Tag != "" {
			tagged[repo] = true
		}
		out = append(out, imagePush(repo, t.Tag, t.Digest))
	}
	kept := out[:0]
	for _, p := range out {
		if p.artifact.Tag != "" || !tagged[p.artifact.RepoURL] {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// parseGeneric reads {"repoURL", "tag", "digest", "commit", "version"}: a push to whatever
// repository repoURL names (Git, image or chart).
func parseGeneric(_ *http.Request, body []byte, _ receiverOptions) ([]push, error) {
	var a v1.RefreshArtifact
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	if a.RepoURL == "" {
		return nil, errors.New("repoURL is required")
	}
	return []push{{kind: pushAny, urls: []string{a.RepoURL}, artifact: a}}, nil
}

// repoOf is the repository of an image reference host/path[:tag][@digest], or "".
func repoOf(ref string) string {
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "https://"), "http://")
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	if !strings.Contains(ref, "/") {
		return ""
	}
	return ref
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
