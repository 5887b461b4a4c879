package bus

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{nats.ErrNoResponders, true},
		{fmt.Errorf("get key: %w", nats.ErrTimeout), true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: unavailable}, true},
		// What nats.go returns for a direct get answered with status 503.
		{fmt.Errorf("list secrets of shop: %w", errors.New("nats: "+unavailable)), true},
		{&jetstream.APIError{Code: 400, Description: "bad request"}, false},
		{jetstream.ErrKeyNotFound, false},
		{errors.New("permission denied"), false},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
