package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// DefaultURL is where dray up serves the API by default.
const DefaultURL = "http://127.0.0.1:8080"

// ErrNotFound means the gateway answered 404.
var ErrNotFound = errors.New("not found")

// APIError is an error answer from the gateway.
type APIError struct {
	Status int
	v1.ErrorResponse
}

func (e *APIError) Error() string {
	if len(e.Problems) == 0 {
		return e.ErrorResponse.Error
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes a 404 match ErrNotFound.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Client talks to one gateway. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Option tunes a Client.
type Option func(*Client)

// WithToken sends tok as the bearer token of every request. Default: none, which the gateway
// answers 401 on every route but health and webhooks.
func WithToken(tok string) Option { return func(c *Client) { c.token = strings.TrimSpace(tok) } }

// New returns a client of the gateway at base (e.g. http://localhost:8080).
func New(base string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WhoAmI tells who the gateway takes the client for.
func (c *Client) WhoAmI(ctx context.Context) (*v1.WhoAmI, error) {
	var out v1.WhoAmI
	return &out, c.do(ctx, http.MethodGet, "/api/v1/whoami", nil, &out)
}

// CreateToken makes an API token of project (a system-admin token when project is empty) and
// returns it with its secret, which the gateway shows only this once.
func (c *Client) CreateToken(ctx context.Context, project string, req *v1.CreateTokenRequest) (*v1.CreateTokenResponse, error) {
	var out v1.CreateTokenResponse
	return &out, c.do(ctx, http.MethodPost, tokensPath(project, ""), req, &out)
}

// Tokens lists the tokens of project (the system-admin tokens when project is empty).
func (c *Client) Tokens(ctx context.Context, project string) ([]v1.APIToken, error) {
	var out []v1.APIToken
	return out, c.do(ctx, http.MethodGet, tokensPath(project, ""), nil, &out)
}

// RevokeToken deletes a token of project (a system-admin token when project is empty).
func (c *Client) RevokeToken(ctx context.Context, project, name string) error {
	return c.do(ctx, http.MethodDelete, tokensPath(project, name), nil, nil)
}

func tokensPath(project, name string) string {
	p := "/api/v1/tokens"
	if project != "" {
		p = path(project, "tokens", "")
	}
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

// Delete deletes the project's resource of the plural resource (stages, warehouses,
// freight, promotiontasks, …) by name (a Freight by name or alias). A resource that does not
// exist is an *APIError with Status 404; a Freight a Stage holds, 409.
func (c *Client) Delete(ctx context.Context, project, resource, name string) error {
	return c.do(ctx, http.MethodDelete, path(project, resource, name), nil, nil)
}

// DeleteProject deletes a Project with everything in it but its audit records. One that does
// not exist is an *APIError with Status 404.
func (c *Client) DeleteProject(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/projects/"+url.PathEscape(name), nil, nil)
}

// DeleteCluster deletes a cluster-wide resource of the plural resource (clusterconfigs,
// clusterpromotiontasks, clustermessagechannels, custompromotionsteps) by name.
func (c *Client) DeleteCluster(ctx context.Context, resource, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/"+resource+"/"+url.PathEscape(name), nil, nil)
}

// Apply stores resources (each the JSON of one resource) all or nothing.
func (c *Client) Apply(ctx context.Context, resources []json.RawMessage) (*v1.ApplyResponse, error) {
	var out v1.ApplyResponse
	return &out, c.do(ctx, http.MethodPost, "/api/v1/resources", resources, &out)
}

// Projects lists the project names, page after page.
func (c *Client) Projects(ctx context.Context) ([]string, error) {
	return listAll[string](ctx, c, "/api/v1/projects")
}

// Promote asks for a Promotion and returns the name it will have.
func (c *Client) Promote(ctx context.Context, cmd *v1.PromoteCommand) (*v1.PromoteResponse, error) {
	var out v1.PromoteResponse
	return &out, c.do(ctx, http.MethodPost, "/api/v1/projects/"+url.PathEscape(cmd.Project)+"/promotions", cmd, &out)
}

// Abort asks to stop a Promotion.
func (c *Client) Abort(ctx context.Context, project, name, actor string) error {
	return c.do(ctx, http.MethodPost, path(project, "promotions", name)+"/abort", &v1.AbortCommand{Actor: actor}, nil)
}

// Promotion reads one Promotion.
func (c *Client) Promotion(ctx context.Context, project, name string) (*v1.Promotion, error) {
	var out v1.Promotion
	return &out, c.do(ctx, http.MethodGet, path(project, "promotions", name), nil, &out)
}

// Promotions lists all of a project's Promotions, page after page.
func (c *Client) Promotions(ctx context.Context, project string) ([]v1.Promotion, error) {
	return listAll[v1.Promotion](ctx, c, path(project, "promotions", ""))
}

// PromotionPage reads one page of a project's Promotions.
func (c *Client) PromotionPage(ctx context.Context, project string, o ListOptions) (*Page[v1.Promotion], error) {
	return listPage[v1.Promotion](ctx, c, path(project, "promotions", ""), o)
}

// Stage reads one Stage with its status.
func (c *Client) Stage(ctx context.Context, project, name string) (*v1.Stage, error) {
	var out v1.Stage
	return &out, c.do(ctx, http.MethodGet, path(project, "stages", name), nil, &out)
}

// Stages lists all of a project's Stages, page after page.
func (c *Client) Stages(ctx context.Context, project string) ([]v1.Stage, error) {
	return listAll[v1.Stage](ctx, c, path(project, "stages", ""))
}

// StagePage reads one page of a project's Stages.
func (c *Client) StagePage(ctx context.Context, project string, o ListOptions) (*Page[v1.Stage], error) {
	return listPage[v1.Stage](ctx, c, path(project, "stages", ""), o)
}

// Freight lists all of a project's Freight, page after page.
func (c *Client) Freight(ctx context.Context, project string) ([]v1.Freight, error) {
	return listAll[v1.Freight](ctx, c, path(project, "freight", ""))
}

// GetFreight reads one Freight by name or alias, with its status.
func (c *Client) GetFreight(ctx context.Context, project, nameOrAlias string) (*v1.Freight, error) {
	var out v1.Freight
	return &out, c.do(ctx, http.MethodGet, path(project, "freight", nameOrAlias), nil, &out)
}

// FreightPage reads one page of a project's Freight.
func (c *Client) FreightPage(ctx context.Context, project string, o ListOptions) (*Page[v1.Freight], error) {
	return listPage[v1.Freight](ctx, c, path(project, "freight", ""), o)
}

// Approve approves a Freight (name or alias) for a Stage.
func (c *Client) Approve(ctx context.Context, cmd *v1.ApproveCommand) error {
	return c.do(ctx, http.MethodPost, path(cmd.Project, "freight", cmd.Freight)+"/approve", cmd, nil)
}

// ApproveStep approves the waiting wait-for-approval step alias of a Promotion
// (docs/steps/wait-for-approval.md); the gateway records who approves from the credential.
func (c *Client) ApproveStep(ctx context.Context, project, promotion, alias, comment string) error {
	body := map[string]string{"step": alias, "comment": comment}
	return c.do(ctx, http.MethodPost, path(project, "promotions", promotion)+"/approve", body, nil)
}

// AnswerStep answers the waiting get-user-input step alias of a Promotion with answers, which
// must fit the step's form (docs/steps/get-user-input.md).
func (c *Client) AnswerStep(ctx context.Context, project, promotion, alias string, answers map[string]any) error {
	body := map[string]any{"step": alias, "answers": answers}
	return c.do(ctx, http.MethodPost, path(project, "promotions", promotion)+"/answer", body, nil)
}

// Reject rejects a Freight (name or alias) for a Stage, or every Stage when cmd.Stage is
// empty, or takes that back (cmd.Undo).
func (c *Client) Reject(ctx context.Context, cmd *v1.RejectCommand) error {
	return c.do(ctx, http.MethodPost, path(cmd.Project, "freight", cmd.Freight)+"/reject", cmd, nil)
}

// Verify re-runs a Stage's verification of its current Freight.
func (c *Client) Verify(ctx context.Context, cmd *v1.VerifyCommand) error {
	return c.do(ctx, http.MethodPost, path(cmd.Project, "stages", cmd.Stage)+"/verify", cmd, nil)
}

// Pause pauses (verb "pause") or resumes (verb "resume") a Stage.
func (c *Client) Pause(ctx context.Context, verb string, cmd *v1.StageCommand) error {
	return c.do(ctx, http.MethodPost, path(cmd.Project, "stages", cmd.Stage)+"/"+verb, cmd, nil)
}

// SetAlias gives a Freight (name or alias) a new alias and returns it.
func (c *Client) SetAlias(ctx context.Context, project, freight, alias string) (*v1.Freight, error) {
	var out v1.Freight
	return &out, c.do(ctx, http.MethodPut, path(project, "freight", freight)+"/alias", map[string]string{"alias": alias}, &out)
}

// Secrets lists a project's Secrets: names, labels and the names of their values, never the
// values.
func (c *Client) Secrets(ctx context.Context, project string) ([]v1.SecretSummary, error) {
	return listAll[v1.SecretSummary](ctx, c, path(project, "secrets", ""))
}

// SecretPage reads one page of a project's Secret summaries.
func (c *Client) SecretPage(ctx context.Context, project string, o ListOptions) (*Page[v1.SecretSummary], error) {
	return listPage[v1.SecretSummary](ctx, c, path(project, "secrets", ""), o)
}

// Warehouse reads one Warehouse with its discovery status.
func (c *Client) Warehouse(ctx context.Context, project, name string) (*v1.Warehouse, error) {
	var out v1.Warehouse
	return &out, c.do(ctx, http.MethodGet, path(project, "warehouses", name), nil, &out)
}

// Warehouses lists all of a project's Warehouses with their discovery status, page after
// page.
func (c *Client) Warehouses(ctx context.Context, project string) ([]v1.Warehouse, error) {
	return listAll[v1.Warehouse](ctx, c, path(project, "warehouses", ""))
}

// EventRouters reads a project's EventRouters.
func (c *Client) EventRouters(ctx context.Context, project string) ([]v1.EventRouter, error) {
	return listAll[v1.EventRouter](ctx, c, path(project, "eventrouters", ""))
}

// WarehousePage reads one page of a project's Warehouses.
func (c *Client) WarehousePage(ctx context.Context, project string, o ListOptions) (*Page[v1.Warehouse], error) {
	return listPage[v1.Warehouse](ctx, c, path(project, "warehouses", ""), o)
}

// Refresh asks for a Warehouse's discovery to run now and returns the command as published,
// with its ID.
func (c *Client) Refresh(ctx context.Context, cmd *v1.RefreshCommand) (*v1.RefreshCommand, error) {
	var out v1.RefreshCommand
	return &out, c.do(ctx, http.MethodPost, path(cmd.Project, "warehouses", cmd.Warehouse)+"/refresh", cmd, &out)
}

// WaitPromotion polls a Promotion until it finishes or ctx ends, calling seen (if not nil)
// with every version it reads.
func (c *Client) WaitPromotion(ctx context.Context, project, name string, seen func(*v1.Promotion)) (*v1.Promotion, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p, err := c.Promotion(ctx, project, name)
		switch {
		case err == nil:
			if seen != nil {
				seen(p)
			}
			if p.Status.Finished() {
				return p, nil
			}
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for promotion %s: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
}

func path(project, kind, name string) string {
	p := "/api/v1/projects/" + url.PathEscape(project) + "/" + kind
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

func (c *Client) do(ctx context.Context, method, p string, in, out any) error {
	_, err := c.doHeader(ctx, method, p, in, out)
	return err
}

// doHeader is do that also returns the answer's headers.
func (c *Client) doHeader(ctx context.Context, method, p string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+p, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the Dray gateway at %s (is dray up running? set --server or DRAY_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, &e.ErrorResponse) != nil || e.ErrorResponse.Error == "" {
			e.ErrorResponse.Error = fmt.Sprintf("%s %s: %s", method, p, resp.Status)
		}
		return nil, e
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("decode answer of %s %s: %w", method, p, err)
	}
	return resp.Header, nil
}

// Audit reads one page of the audit trail of project (every project's when project is empty,
// for system admins), filtered by q: actor, verb, resource, from, to (RFC 3339), limit,
// continue, and project on the system-wide route.
func (c *Client) Audit(ctx context.Context, project string, q url.Values) (v1.AuditList, error) {
	p := "/api/v1/audit"
	if project != "" {
		p = path(project, "audit", "")
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out v1.AuditList
	return out, c.do(ctx, http.MethodGet, p, nil, &out)
}
