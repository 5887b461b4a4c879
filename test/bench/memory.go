package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drayhq/dray/cmd/dray/allinone"
	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/promotion"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/store"
)

// memoryFlags size the memory and list benchmark.
var memoryFlags = struct {
	promotions, stages, listed *int
	profile                    *string
	settle                     *time.Duration
}{
	flag.Int("memory-promotions", 1000, "four-step promotions run before memory is measured again"),
	flag.Int("memory-stages", 200, "Stages those promotions are spread over, all promoting at once"),
	flag.Int("list-promotions", 10000, "Promotions stored in one project for the list figures"),
	flag.String("memprofile", "", "write a heap profile taken after the load to this file"),
	flag.Duration("memory-settle", 15*time.Second, "time left after the load for caches to expire before memory is measured"),
}

// MemoryFigures are what the memory and list benchmark measured, on its own all-in-one Dray
// (as dray up runs). RSS figures are the process's resident memory after a garbage
// collection that returns freed memory to the system; heap figures are the Go heap in use.
type MemoryFigures struct {
	IdleRSSMiB       float64 `json:"idleRSSMiB"`
	IdleHeapMiB      float64 `json:"idleHeapMiB"`
	LoadPromotions   int     `json:"loadPromotions"`
	LoadStages       int     `json:"loadStages"`
	LoadedRSSMiB     float64 `json:"loadedRSSMiB"`
	LoadedHeapMiB    float64 `json:"loadedHeapMiB"`
	ListedPromotions int     `json:"listedPromotions"`
	// ListPage* is one page of the default size (GET …/promotions); ListWhole* every page,
	// of 1000, followed as dray get promotions does.
	ListPageMs     float64 `json:"listPageP50Ms"`
	ListPageBytes  int     `json:"listPageBytes"`
	ListWholeMs    float64 `json:"listWholeP50Ms"`
	ListWholeBytes int     `json:"listWholeBytes"`
	ListedRSSMiB   float64 `json:"listedRSSMiB"`
	ListedHeapMiB  float64 `json:"listedHeapMiB"`
	PromotionsKept int     `json:"promotionsKept"`
}

// memory measures memory at rest, after memoryFlags.promotions four-step promotions across
// memoryFlags.stages Stages, and the list latency and size at memoryFlags.listed Promotions.
func memory(ctx context.Context, log *slog.Logger, f *MemoryFigures) error {
	if *memoryFlags.profile != "" {
		runtime.MemProfileRate = 4096 // fine enough to see what each promotion leaves behind
	}
	dir, err := os.MkdirTemp("", "dray-bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &harness{waiters: map[string]chan string{}, gitRoot: filepath.Join(dir, "git")}
	if err := h.startGit(); err != nil {
		return err
	}
	noop, err := steps.NewRegistry(noopStep{})
	if err != nil {
		return err
	}
	h.in, err = allinone.Start(ctx, allinone.Options{
		DataDir: dir, Addr: "127.0.0.1:0", NATSPort: -1, Log: log,
		Executors: []allinone.Executor{{Name: "bench", Steps: noop}},
		Route: func(uses string) (string, bool) {
			if uses == "noop" {
				return "bench", true
			}
			return steps.ExecutorFor(uses)
		},
	})
	if err != nil {
		return err
	}
	defer h.in.Stop()
	nc, err := h.in.Connect("test")
	if err != nil {
		return err
	}
	defer nc.Close()
	if h.bus, err = bus.New(ctx, nc, bus.Options{}); err != nil {
		return err
	}
	sub, err := nc.Subscribe(bus.EventSubject(project, "promotion.*"), h.onEvent)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	time.Sleep(2 * time.Second) // let start-up work settle
	f.IdleRSSMiB, f.IdleHeapMiB = settledMemory()
	if *memoryFlags.profile != "" {
		if err := writeHeapProfile(*memoryFlags.profile + ".idle"); err != nil {
			return err
		}
	}

	f.LoadPromotions, f.LoadStages = *memoryFlags.promotions, *memoryFlags.stages
	_, names, err := h.promotions(ctx, "mem", f.LoadStages, f.LoadPromotions)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	time.Sleep(*memoryFlags.settle)
	f.LoadedRSSMiB, f.LoadedHeapMiB = settledMemory()
	if *memoryFlags.profile != "" {
		if err := writeHeapProfile(*memoryFlags.profile); err != nil {
			return err
		}
	}

	f.ListedPromotions = *memoryFlags.listed
	if len(names) == 0 {
		return fmt.Errorf("no promotion to copy for the list figures: give -memory-promotions at least 2 per Stage")
	}
	template, err := store.Promotion(ctx, h.bus, project, names[len(names)-1]) // the newest: older ones may be trimmed
	if err != nil {
		return err
	}
	if err := storePromotions(ctx, h.bus, "lists", template, f.ListedPromotions); err != nil {
		return err
	}
	base := h.in.URL + "/api/v1/projects/lists/promotions"
	var pages, wholes []time.Duration
	for range 5 {
		start := time.Now()
		n, _, err := get(ctx, h.in.AdminToken, base)
		if err != nil {
			return err
		}
		pages, f.ListPageBytes = append(pages, time.Since(start)), n
		start = time.Now()
		total := 0
		for next := "first"; next != ""; {
			u := base + "?limit=1000" // as pkg/client reads a whole list
			if next != "first" {
				u += "&continue=" + url.QueryEscape(next)
			}
			if n, next, err = get(ctx, h.in.AdminToken, u); err != nil {
				return err
			}
			total += n
		}
		wholes, f.ListWholeBytes = append(wholes, time.Since(start)), total
	}
	f.ListPageMs, f.ListWholeMs = ms(percentile(pages, 50)), ms(percentile(wholes, 50))
	f.ListedRSSMiB, f.ListedHeapMiB = settledMemory()
	kept, err := h.bus.Promotions.ListKeysFiltered(ctx, bus.Key(project, ">"))
	if err != nil {
		return err
	}
	for range kept.Keys() {
		f.PromotionsKept++
	}
	return nil
}

// storePromotions stores n copies of template, renamed, in project.
func storePromotions(ctx context.Context, b *bus.Bus, project string, template *v1.Promotion, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				p := *template
				p.Metadata.Namespace = project
				p.Metadata.Name = promotion.Name(p.Spec.Stage, p.Spec.Freight, strconv.Itoa(i), time.Now())
				data, err := json.Marshal(&p)
				if err == nil {
					_, err = b.Promotions.Put(ctx, bus.Key(project, p.Metadata.Name), data)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// get reads a list page with the API token tok and returns its size and continue token.
func get(ctx context.Context, tok, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return int(n), resp.Header.Get(v1.HeaderContinue), err
}

// settledMemory collects garbage, returns freed memory to the system, and reads the
// process's resident memory and the Go heap in use, in MiB.
func settledMemory() (rss, heap float64) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return rssMiB(), float64(m.HeapInuse) / (1 << 20)
}

// rssMiB reads VmRSS from /proc/self/status; 0 where there is none.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func reportMemory(f *MemoryFigures) {
	fmt.Printf("memory idle                      RSS %7.1f MiB   heap %7.1f MiB\n", f.IdleRSSMiB, f.IdleHeapMiB)
	fmt.Printf("after %5d promotions, %3d Stages RSS %7.1f MiB   heap %7.1f MiB   (%d Promotions kept)\n",
		f.LoadPromotions, f.LoadStages, f.LoadedRSSMiB, f.LoadedHeapMiB, f.PromotionsKept)
	fmt.Printf("list of %d Promotions: one page  p50 %8.3f ms   %d bytes\n", f.ListedPromotions, f.ListPageMs, f.ListPageBytes)
	fmt.Printf("                      all pages  p50 %8.3f ms   %d bytes\n", f.ListWholeMs, f.ListWholeBytes)
	fmt.Printf("after the lists                  RSS %7.1f MiB   heap %7.1f MiB\n", f.ListedRSSMiB, f.ListedHeapMiB)
}

func writeHeapProfile(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
