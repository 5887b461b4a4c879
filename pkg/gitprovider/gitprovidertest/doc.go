// Package gitprovidertest fakes the pull request APIs of GitHub, GitLab, Gitea and Bitbucket
// Cloud on loopback, following each provider's documented paths, methods, status codes and
// JSON (errors included), so that the real gitprovider client can be tested. A fake can also
// serve a repository's Git smart-HTTP from a gittest.Server on the same host, as a hosting
// provider does.
package gitprovidertest
