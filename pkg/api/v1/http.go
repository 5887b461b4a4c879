package v1

// Bodies of the gateway's HTTP API (/api/v1).

// ApplyResponse answers POST /api/v1/resources.
type ApplyResponse struct {
	Applied []Applied `json:"applied"`
}

// Applied says what apply did with one resource.
type Applied struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Project string `json:"project,omitempty"`
	// Result is created, configured or unchanged.
	Result string `json:"result"`
}

// PromoteResponse answers POST /api/v1/projects/{project}/promotions.
type PromoteResponse struct {
	// Promotion is the name the new Promotion has.
	Promotion string `json:"promotion"`
	// ID is the request's idempotency key.
	ID string `json:"id"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
	// Problems lists every bad field of a rejected manifest.
	Problems []*FieldError `json:"problems,omitempty"`
}

// Paging of the API's lists (GET /api/v1/projects/{project}/promotions and every other list):
// a list answers one page, in name order, as a JSON array. The query parameters limit (1 to
// 1000; default 500) and continue (a token from a previous answer) choose the page; when more
// items remain, the answer carries these headers, and the next page is the same request with
// continue set to HeaderContinue's value.
const (
	// HeaderContinue holds the token that asks for the next page of a list.
	HeaderContinue = "Dray-Continue"
	// HeaderRemaining holds how many items of a list remain after the page.
	HeaderRemaining = "Dray-Remaining-Count"
)
