// Package gitdisc discovers the commits a Warehouse's Git subscription offers
// (docs/resources.md#git-subscriptions): the newest commits of a branch, or the tags ordered by semver, name or creation date,
// narrowed by tag regexes, an expression filter and path filters. It uses go-git, lists the
// remote's references first, and reuses an earlier result when they did not change.
package gitdisc
