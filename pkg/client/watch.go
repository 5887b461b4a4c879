package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// errNoWatch says the gateway has no watch route.
var errNoWatch = errors.New("the gateway has no watch route")

// maxEvent bounds one Server-Sent Event of a watch: a Promotion is at most a NATS message.
const maxEvent = 8 << 20

// FollowPromotion follows a Promotion through the gateway's watch
// (GET …/promotions/<name>/watch, services/gateway/README.md): seen (if not nil) gets every
// version the state service records, as it records it, until the Promotion finishes, which
// FollowPromotion then returns. A Promotion not recorded yet (its promote command is still
// queued) is asked for again until ctx ends. Against a gateway without the watch route it
// falls back to WaitPromotion's polling.
func (c *Client) FollowPromotion(ctx context.Context, project, name string, seen func(*v1.Promotion)) (*v1.Promotion, error) {
	for {
		p, err := c.followOnce(ctx, project, name, seen)
		switch {
		case err == nil && p != nil && p.Status.Finished():
			return p, nil
		case errors.Is(err, errNoWatch):
			return c.WaitPromotion(ctx, project, name, seen)
		case err != nil && !errors.Is(err, ErrNotFound):
			return nil, err
		}
		// Not recorded yet, or the stream ended early (a restarted gateway): ask again.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for promotion %s: %w", name, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// followOnce reads one watch stream and returns the last version it carried.
func (c *Client) followOnce(ctx context.Context, project, name string, seen func(*v1.Promotion)) (*v1.Promotion, error) {
	p := path(project, "promotions", name) + "/watch"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	stream := &http.Client{Transport: c.http.Transport} // no overall timeout: it lasts as long as the Promotion runs
	resp, err := stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the Dray gateway at %s (is dray up running? set --server or DRAY_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, errNoWatch // the router's 404, not the route's: the gateway predates it
	}
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, &e.ErrorResponse) != nil || e.ErrorResponse.Error == "" {
			e.ErrorResponse.Error = fmt.Sprintf("GET %s: %s", p, resp.Status)
		}
		return nil, e
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEvent)
	var (
		event string
		data  bytes.Buffer
		last  *v1.Promotion
	)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // the end of one event
			switch event {
			case "promotion":
				var v v1.Promotion
				if err := json.Unmarshal(data.Bytes(), &v); err != nil {
					return nil, fmt.Errorf("decode an event of GET %s: %w", p, err)
				}
				last = &v
				if seen != nil {
					seen(last)
				}
			case "deleted":
				return nil, fmt.Errorf("promotion %s was deleted while it was followed", name)
			}
			event = ""
			data.Reset()
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			data.Write(bytes.TrimPrefix(line[len("data:"):], []byte(" ")))
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return last, fmt.Errorf("read GET %s: %w", p, err)
	}
	return last, ctx.Err()
}
