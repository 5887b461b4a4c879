package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/store"
)

// TestWindow: a page starts after the token's name whether or not that name still exists,
// and says what remains.
func TestWindow(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		name      string
		page      store.Page
		want      []string
		next      string
		remaining int
	}{
		{"first page", store.Page{Limit: 2}, []string{"a", "b"}, store.ContinueAfter("b"), 3},
		{"middle", store.Page{Limit: 2, Continue: store.ContinueAfter("b")}, []string{"c", "d"}, store.ContinueAfter("d"), 1},
		{"last", store.Page{Limit: 2, Continue: store.ContinueAfter("d")}, []string{"e"}, "", 0},
		{"after a name deleted since", store.Page{Limit: 2, Continue: store.ContinueAfter("bb")}, []string{"c", "d"}, store.ContinueAfter("d"), 1},
		{"after the end", store.Page{Limit: 2, Continue: store.ContinueAfter("z")}, []string{}, "", 0},
		{"exactly all", store.Page{Limit: 5}, names, "", 0},
		{"zero limit is the default", store.Page{}, names, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, remaining, err := tt.page.Window(names)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || next != tt.next || remaining != tt.remaining {
				t.Errorf("Window (-want +got):\n%s next %q, want %q; remaining %d, want %d", diff, next, tt.next, remaining, tt.remaining)
			}
		})
	}
}

// TestParsePage: an empty limit is the default; a limit out of range or a token no list gave
// wraps ErrBadPage.
func TestParsePage(t *testing.T) {
	if p, err := store.ParsePage("", ""); err != nil || p.Limit != store.DefaultLimit {
		t.Errorf("ParsePage(\"\", \"\") = %+v, %v; want the default limit", p, err)
	}
	if p, err := store.ParsePage("1000", store.ContinueAfter("x")); err != nil || p.Limit != 1000 {
		t.Errorf("ParsePage(1000, token) = %+v, %v", p, err)
	}
	for _, bad := range [][2]string{{"0", ""}, {"1001", ""}, {"x", ""}, {"", "not-a-token!"}, {"", "eA"}} {
		if _, err := store.ParsePage(bad[0], bad[1]); !errors.Is(err, store.ErrBadPage) {
			t.Errorf("ParsePage(%q, %q) = %v, want ErrBadPage", bad[0], bad[1], err)
		}
	}
}
