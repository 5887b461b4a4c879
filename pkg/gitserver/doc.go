// Package gitserver serves bare Git repositories over the smart-HTTP protocol, fetch and push,
// by running `git http-backend` as a CGI program. Tests reach it through gittest; `dray up
// --demo` uses it to host the demo repositories.
//
// The server has no authentication: anyone who reaches it may push. Serve it on loopback or
// behind something that authenticates.
package gitserver
