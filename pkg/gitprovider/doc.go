// Package gitprovider opens, reads and merges pull requests through the REST APIs of Git
// hosting providers: GitHub (REST v3, also GitHub Enterprise), GitLab (v4 merge requests),
// Gitea (v1) and Bitbucket Cloud (2.0).
//
// The provider is inferred from the repository URL's host (Infer) or named explicitly, and the
// API base URL follows from the host, so self-hosted installations work:
//
//	github.com            https://api.github.com
//	<name>.ghe.com        https://api.<name>.ghe.com
//	other GitHub hosts    <scheme>://<host>/api/v3   (GitHub Enterprise Server)
//	GitLab hosts          <scheme>://<host>/api/v4
//	Gitea hosts           <scheme>://<host>/api/v1
//	bitbucket.org         https://api.bitbucket.org/2.0
//	other Bitbucket hosts <scheme>://<host>/2.0      (a proxy in front of Bitbucket Cloud)
//
// A token is the password of the repository's git credentials. It is sent the way each
// provider documents: GitHub "Authorization: Bearer", GitLab "PRIVATE-TOKEN" (Bearer for
// username oauth2), Gitea "Authorization: token", Bitbucket basic auth with the username
// (Bearer for an access token, when the username is empty or x-token-auth). Errors never show
// it.
package gitprovider
