// Package argocdtest runs a fake Argo CD API server for tests: an httptest TLS server that
// answers the documented REST shapes for Applications (get, list, update spec, sync) and plays
// a controller, moving an Application through its sync and health states over successive GETs.
package argocdtest
