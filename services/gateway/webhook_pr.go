package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/freight"
	"github.com/drayhq/dray/pkg/store"
)

// pullRequest is a pull request a payload says changed: its repository under each URL it is
// known by, and its number (GitLab: the merge request's iid).
type pullRequest struct {
	urls   []string
	number int
	action string
}

// pullRequestsOf reads the pull request events of the Git hosts' webhooks: GitHub and Gitea
// pull_request, GitLab merge_request, Bitbucket pullrequest:*. Other events give none.
func pullRequestsOf(provider string, r *http.Request, body []byte) []pullRequest {
	switch provider {
	case "github", "gitea":
		event := r.Header.Get("X-GitHub-Event")
		if provider == "gitea" {
			event = r.Header.Get("X-Gitea-Event")
		}
		if event != "pull_request" {
			return nil
		}
		var e struct {
			Action     string     `json:"action"`
			Number     int        `json:"number"`
			Repository gitHubRepo `json:"repository"`
		}
		if json.Unmarshal(body, &e) != nil || e.Number == 0 {
			return nil
		}
		return []pullRequest{{urls: nonEmpty([]string{e.Repository.CloneURL, e.Repository.HTMLURL, e.Repository.SSHURL}), number: e.Number, action: e.Action}}
	case "gitlab":
		var e struct {
			ObjectKind       string `json:"object_kind"`
			ObjectAttributes struct {
				IID    int    `json:"iid"`
				Action string `json:"action"`
			} `json:"object_attributes"`
			Project struct {
				GitHTTPURL string `json:"git_http_url"`
				GitSSHURL  string `json:"git_ssh_url"`
				WebURL     string `json:"web_url"`
			} `json:"project"`
		}
		if json.Unmarshal(body, &e) != nil || e.ObjectKind != "merge_request" || e.ObjectAttributes.IID == 0 {
			return nil
		}
		return []pullRequest{{urls: nonEmpty([]string{e.Project.GitHTTPURL, e.Project.WebURL, e.Project.GitSSHURL}),
			number: e.ObjectAttributes.IID, action: e.ObjectAttributes.Action}}
	case "bitbucket":
		event := r.Header.Get("X-Event-Key")
		if !strings.HasPrefix(event, "pullrequest:") {
			return nil
		}
		var e struct {
			PullRequest struct {
				ID int `json:"id"`
			} `json:"pullrequest"`
			Repository struct {
				Links struct {
					HTML struct {
						Href string `json:"href"`
					} `json:"html"`
				} `json:"links"`
			} `json:"repository"`
		}
		if json.Unmarshal(body, &e) != nil || e.PullRequest.ID == 0 {
			return nil
		}
		return []pullRequest{{urls: nonEmpty([]string{e.Repository.Links.HTML.Href}), number: e.PullRequest.ID,
			action: strings.TrimPrefix(event, "pullrequest:")}}
	}
	return nil
}

// waitingForPR names the steps that wait on a pull request, and are woken by its webhook.
var waitingForPR = map[string]bool{"git-wait-for-pr": true, "git-merge-pr": true}

// wakePullRequests wakes the project's Promotions whose current step waits for one of prs, so
// they see the change now rather than at their next poll. It returns how many it woke.
func (a *api) wakePullRequests(ctx context.Context, project, delivery string, prs []pullRequest) (int, error) {
	if len(prs) == 0 {
		return 0, nil
	}
	ps, err := store.List[v1.Promotion](ctx, a.Bus, a.Bus.Promotions, bus.Key(project, ">"))
	if err != nil {
		return 0, err
	}
	woken := 0
	for _, p := range ps {
		i := p.Status.CurrentStep
		if p.Status.Phase != v1.PhaseRunning || i >= len(p.Status.StepExecutionMetadata) || i >= len(p.Spec.Steps) {
			continue
		}
		m := p.Status.StepExecutionMetadata[i]
		if m.Status != v1.StepRunning || !waitingForPR[m.Uses] {
			continue
		}
		repo, _ := m.Config["repoURL"].(string)
		number := configInt(m.Config["prNumber"])
		for _, pr := range prs {
			if pr.number != number || !sameGitRepo(repo, pr.urls) {
				continue
			}
			cmd := v1.WakeCommand{Project: project, Promotion: p.Metadata.Name, Step: i, ID: delivery,
				Reason: "pull request " + strconv.Itoa(pr.number) + " " + pr.action}
			if err := a.Bus.Publish(ctx, bus.CommandSubject(project, "wake"), "wake/"+p.Metadata.Name+"/"+delivery, &cmd); err != nil {
				return woken, err
			}
			woken++
			break
		}
	}
	return woken, nil
}

func sameGitRepo(repo string, urls []string) bool {
	for _, u := range urls {
		if repo != "" && freight.NormalizeGitURL(u) == freight.NormalizeGitURL(repo) {
			return true
		}
	}
	return false
}

// configInt reads a number from a recorded config, where JSON made it a float64.
func configInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}
