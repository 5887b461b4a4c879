package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		addr          string
		tls, insecure bool
		wantRefused   bool
	}{
		{"127.0.0.1:8080", false, false, false},
		{"localhost:8080", false, false, false},
		{"[::1]:8080", false, false, false},
		{":8080", false, false, true},
		{"0.0.0.0:8080", false, false, true},
		{"0.0.0.0:8080", true, false, false},
		{"10.0.0.5:8080", false, true, false},
	}
	for _, tt := range tests {
		err := checkExposure(tt.addr, tt.tls, tt.insecure)
		if (err != nil) != tt.wantRefused {
			t.Errorf("checkExposure(%q, tls=%v, insecure=%v) = %v, want refused %v", tt.addr, tt.tls, tt.insecure, err, tt.wantRefused)
		}
	}
}

// The demo's Git server lets anyone clone, and takes a push only with the admin token.
func TestGuardPush(t *testing.T) {
	var admin atomic.Pointer[string]
	tok := "dray__system.admin_SECRET"
	admin.Store(&tok)
	h := guardPush(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }), &admin)
	tests := []struct {
		path, pass string
		want       int
	}{
		{"/r.git/info/refs?service=git-upload-pack", "", http.StatusOK},
		{"/r.git/git-upload-pack", "", http.StatusOK},
		{"/r.git/info/refs?service=git-receive-pack", "", http.StatusUnauthorized},
		{"/r.git/git-receive-pack", "wrong", http.StatusUnauthorized},
		{"/r.git/git-receive-pack", tok, http.StatusOK},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, tt.path, nil)
		if tt.pass != "" {
			r.SetBasicAuth("dray", tt.pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s with password %q: %d, want %d", tt.path, tt.pass, w.Code, tt.want)
		}
	}
}
