package sendmessage_test

import (
	"net/http"
	"testing"

	"github.com/drayhq/dray/pkg/steps/sendmessage"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestConformance(t *testing.T) {
	srv, _ := recorder(t, http.StatusOK, "ok")
	chs := channels{"MessageChannel/hooks": webhook(srv.URL+"/hook", "POST", "")}
	steptest.Conformance(t, sendmessage.New(sendmessage.Options{Channels: chs, ClientOptions: loopbackAllowed}), steptest.Case{
		Config: map[string]any{"channel": map[string]any{"kind": "MessageChannel", "name": "hooks"}, "message": "promoted"},
	})
}
