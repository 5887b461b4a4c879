package gateway

import (
	"errors"
	"net/http"
	"strconv"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/store"
)

// pageOf reads a list request's limit and continue parameters (see v1.HeaderContinue).
func pageOf(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	return store.ParsePage(q.Get("limit"), q.Get("continue"))
}

// replyPage writes one page of a list: items as a JSON array, and when more remain, the
// token of the next page and how many remain in headers. A bad page request is a 400.
func replyPage(w http.ResponseWriter, items any, next string, remaining int, err error) {
	if errors.Is(err, store.ErrBadPage) {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err == nil && next != "" {
		w.Header().Set(v1.HeaderContinue, next)
		w.Header().Set(v1.HeaderRemaining, strconv.Itoa(remaining))
	}
	reply(w, items, err)
}

// listPage answers a list built in memory, one page of it, by name.
func listPage[T any](w http.ResponseWriter, r *http.Request, items []T, name func(T) string) {
	p, err := pageOf(r)
	if err != nil {
		replyPage(w, nil, "", 0, err)
		return
	}
	page, next, remaining, err := store.PageOf(items, name, p)
	replyPage(w, page, next, remaining, err)
}
