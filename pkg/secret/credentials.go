package secret

import (
	"context"
	"fmt"
	"regexp"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/freight"
)

// Credential types, the values of the kargo.akuity.io/cred-type label.
const (
	TypeGit     = "git"
	TypeHelm    = "helm"
	TypeImage   = "image"
	TypeGeneric = "generic"
)

// Credentials are what a client needs to reach one repository. The zero value means
// anonymous.
type Credentials struct {
	Username      string
	Password      string
	SSHPrivateKey string
}

// String never shows the values, so Credentials are safe to log by mistake.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{Username:%t Password:%t SSHPrivateKey:%t}", c.Username != "", c.Password != "", c.SSHPrivateKey != "")
}

// Credentials finds the credentials of type credType (TypeGit, TypeHelm or TypeImage) for
// repoURL, as Kargo does: among the project's Secrets labelled with that type, one whose
// repoURL equals repoURL (both normalised) wins over one whose repoURL, with repoURLIsRegex
// "true", matches it; then the same in the shared project. It returns nil when none matches.
func (st *Store) Credentials(ctx context.Context, project, credType, repoURL string) (*Credentials, error) {
	want := normalize(credType, repoURL)
	seq, err := st.lastSeq(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{project, v1.SharedProject} {
		list, err := st.list(ctx, p, seq)
		if err != nil {
			return nil, err
		}
		var byRegex *v1.Secret
		for _, s := range list {
			if s.Metadata.Labels[v1.LabelCredType] != credType {
				continue
			}
			pattern := string(s.Data["repoURL"])
			if string(s.Data["repoURLIsRegex"]) == "true" {
				re, err := regexp.Compile(pattern)
				if err != nil {
					return nil, fmt.Errorf("secret %s/%s: data.repoURL is not a valid regular expression: %w", p, s.Metadata.Name, err)
				}
				if byRegex == nil && re.MatchString(want) {
					byRegex = s
				}
				continue
			}
			if pattern != "" && normalize(credType, pattern) == want {
				return credentialsOf(s), nil
			}
		}
		if byRegex != nil {
			return credentialsOf(byRegex), nil
		}
		if p == v1.SharedProject {
			break
		}
	}
	return nil, nil
}

func credentialsOf(s *v1.Secret) *Credentials {
	return &Credentials{
		Username:      string(s.Data["username"]),
		Password:      string(s.Data["password"]),
		SSHPrivateKey: string(s.Data["sshPrivateKey"]),
	}
}

func normalize(credType, url string) string {
	switch credType {
	case TypeGit:
		return freight.NormalizeGitURL(url)
	case TypeImage:
		return freight.NormalizeImageURL(url)
	case TypeHelm:
		return freight.NormalizeChartURL(url)
	}
	return url
}
