package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/drayhq/dray/pkg/bus"
)

// Page sizes of the API's lists.
const (
	// DefaultLimit is the page size of a list request that names no limit.
	DefaultLimit = 500
	// MaxLimit is the largest page a list request may ask for.
	MaxLimit = 1000
)

// ErrBadPage wraps a limit or continue token that a list request cannot be answered with.
var ErrBadPage = errors.New("bad page request")

// Page asks for one page of a list ordered by name: at most Limit items whose names come
// after the one the Continue token holds. The zero Page is the first page of DefaultLimit.
type Page struct {
	Limit    int
	Continue string
}

// ParsePage reads the limit and continue query parameters of a list request. An empty limit
// is DefaultLimit; a limit that is not a number from 1 to MaxLimit, or a token that no list
// answered, wraps ErrBadPage.
func ParsePage(limit, cont string) (Page, error) {
	p := Page{Limit: DefaultLimit, Continue: cont}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return p, fmt.Errorf("%w: limit %q: give a number from 1 to %d", ErrBadPage, limit, MaxLimit)
		}
		p.Limit = n
	}
	if _, err := p.after(); err != nil {
		return p, err
	}
	return p, nil
}

// tokenPrefix versions the continue token, so its form can change without misreading old
// ones.
const tokenPrefix = "1:"

// ContinueAfter is the token that continues a list after the item called name.
func ContinueAfter(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + name))
}

// after is the name the page starts after; "" for the first page.
func (p Page) after() (string, error) {
	if p.Continue == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Continue)
	name, ok := strings.CutPrefix(string(raw), tokenPrefix)
	if err != nil || !ok || name == "" {
		return "", fmt.Errorf("%w: continue token %q was not given by a list answer: start again without it", ErrBadPage, p.Continue)
	}
	return name, nil
}

// Window cuts the page out of names, which must be sorted: the names it holds, the token
// that continues after them ("" when none remain) and how many remain after them. Names
// added or removed between two pages do not make the pages repeat or skip the others.
func (p Page) Window(names []string) (page []string, next string, remaining int, err error) {
	after, err := p.after()
	if err != nil {
		return nil, "", 0, err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	start := 0
	if after != "" {
		start, _ = slices.BinarySearch(names, after)
		if start < len(names) && names[start] == after {
			start++
		}
	}
	end := min(start+limit, len(names))
	page = names[start:end]
	if end < len(names) {
		next, remaining = ContinueAfter(names[end-1]), len(names)-end
	}
	return page, next, remaining, nil
}

// PageOf is Window over items, by the name each has, for lists built in memory. items need
// not be sorted; the page is.
func PageOf[T any](items []T, name func(T) string, p Page) (page []T, next string, remaining int, err error) {
	byName := make(map[string]T, len(items))
	names := make([]string, 0, len(items))
	for _, it := range items {
		n := name(it)
		byName[n] = it
		names = append(names, n)
	}
	slices.Sort(names)
	window, next, remaining, err := p.Window(names)
	if err != nil {
		return nil, "", 0, err
	}
	page = make([]T, len(window))
	for i, n := range window {
		page[i] = byName[n]
	}
	return page, next, remaining, nil
}

// ListPage is List for one page: it lists the keys under prefix (a key prefix ending in
// '.', e.g. bus.Key(project, "")), sorts them, and reads and decodes only the values of the
// page's keys. Names in the token and the order are the keys without prefix.
func ListPage[T any](ctx context.Context, b *bus.Bus, kv jetstream.KeyValue, prefix string, p Page) (items []T, next string, remaining int, err error) {
	names, err := keyNames(ctx, kv, prefix)
	if err != nil {
		return nil, "", 0, err
	}
	window, next, remaining, err := p.Window(names)
	if err != nil {
		return nil, "", 0, err
	}
	items, err = readAll[T](ctx, b, kv, prefix, window)
	if err != nil {
		return nil, "", 0, err
	}
	return items, next, remaining, nil
}

// pageReaders is how many values of a page are read at once.
const pageReaders = 8

// readAll reads and decodes the values of prefix+name for each name, pageReaders at a time,
// in order; names deleted since they were listed are left out.
func readAll[T any](ctx context.Context, b *bus.Bus, kv jetstream.KeyValue, prefix string, names []string) ([]T, error) {
	vals := make([]T, len(names))
	found := make([]bool, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(pageReaders, len(names)) {
		wg.Go(func() {
			for i := range next {
				if _, err := b.GetJSON(ctx, kv, prefix+names[i], &vals[i]); err == nil {
					found[i] = true
				} else if !errors.Is(err, jetstream.ErrKeyNotFound) { // not found: deleted since listed
					errs[i] = err
				}
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(names))
	for i := range vals {
		if found[i] {
			out = append(out, vals[i])
		}
	}
	return out, nil
}

// keyNames lists the keys of kv under prefix, without it, sorted. Listing reads no values.
func keyNames(ctx context.Context, kv jetstream.KeyValue, prefix string) ([]string, error) {
	lister, err := kv.ListKeysFiltered(ctx, prefix+">")
	if err != nil {
		return nil, fmt.Errorf("list %s> in %s: %w", prefix, kv.Bucket(), err)
	}
	var names []string
	for k := range lister.Keys() {
		names = append(names, strings.TrimPrefix(k, prefix))
	}
	slices.Sort(names)
	return names, nil
}
