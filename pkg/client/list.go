package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// ListOptions choose one page of a list (see v1.HeaderContinue).
type ListOptions struct {
	// Limit is the most items the page holds; 0 lets the gateway choose (500).
	Limit int
	// Continue is the token of a previous page's Page.Continue; empty for the first page.
	Continue string
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// Continue asks for the next page; empty when this page is the last.
	Continue string
	// Remaining is how many items come after this page.
	Remaining int
}

// listPage reads one page of the list at p.
func listPage[T any](ctx context.Context, c *Client, p string, o ListOptions) (*Page[T], error) {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Continue != "" {
		q.Set("continue", o.Continue)
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out Page[T]
	h, err := c.doHeader(ctx, http.MethodGet, p, nil, &out.Items)
	if err != nil {
		return nil, err
	}
	out.Continue = h.Get(v1.HeaderContinue)
	out.Remaining, _ = strconv.Atoi(h.Get(v1.HeaderRemaining))
	return &out, nil
}

// maxPages bounds how many pages listAll follows, so a gateway that never ends a list
// cannot keep a client reading forever.
const maxPages = 100_000

// fullPage is the page size listAll asks for: the gateway's largest, since every page lists
// the keys again.
const fullPage = 1000

// listAll reads every page of the list at p.
func listAll[T any](ctx context.Context, c *Client, p string) ([]T, error) {
	all := []T{}
	o := ListOptions{Limit: fullPage}
	for range maxPages {
		page, err := listPage[T](ctx, c, p, o)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Continue == "" {
			return all, nil
		}
		o.Continue = page.Continue
	}
	return nil, fmt.Errorf("list %s: more than %d pages", p, maxPages)
}
