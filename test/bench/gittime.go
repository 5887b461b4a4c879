package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// requestTimes records how long the Git server takes over each kind of request, per
// repository, so the report can say how much of a promotion or a script run is the server's.
type requestTimes struct {
	mu sync.Mutex
	// times maps repository → request kind → durations; nil when not recording.
	times map[string]map[string][]time.Duration
}

func (rt *requestTimes) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		took := time.Since(start)
		repo, kind, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), ".git/")
		if !ok {
			return
		}
		kind = r.Method + " " + kind
		if s := r.URL.Query().Get("service"); s != "" {
			kind += "?" + s
		}
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if rt.times == nil {
			return
		}
		if rt.times[repo] == nil {
			rt.times[repo] = map[string][]time.Duration{}
		}
		rt.times[repo][kind] = append(rt.times[repo][kind], took)
	})
}

// start begins recording; stop ends it and forgets what was recorded.
func (rt *requestTimes) start() {
	rt.mu.Lock()
	rt.times = map[string]map[string][]time.Duration{}
	rt.mu.Unlock()
}

func (rt *requestTimes) stop() {
	rt.mu.Lock()
	rt.times = nil
	rt.mu.Unlock()
}

// report says, for each kind of request repository repo received while recording, how many
// came per run (of runs) and their p50.
func (rt *requestTimes) report(repo string, runs int) string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	times := rt.times[repo]
	var kinds []string
	for k := range times {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %.1f/run p50 %.1f ms", k, float64(len(times[k]))/float64(runs), ms(percentile(times[k], 50))))
	}
	return strings.Join(parts, "; ")
}
