package v1_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// TestGenericSubscriptionJSON: a key other than name, image, git and chart is a generic
// subscription of that type, and it is written back under that key.
func TestGenericSubscriptionJSON(t *testing.T) {
	in := `{"name":"model","modelhub":{"config":{"model":"sentiment"},"discoveryLimit":5}}`
	var sub v1.RepoSubscription
	if err := json.Unmarshal([]byte(in), &sub); err != nil {
		t.Fatal(err)
	}
	want := v1.RepoSubscription{Name: "model", Generic: &v1.GenericSubscription{Type: "modelhub", Config: map[string]any{"model": "sentiment"}, DiscoveryLimit: 5}}
	if !reflect.DeepEqual(sub, want) {
		t.Errorf("Unmarshal(%s) = %+v, want %+v", in, sub, want)
	}
	out, err := json.Marshal(sub)
	if err != nil || string(out) != `{"modelhub":{"config":{"model":"sentiment"},"discoveryLimit":5},"name":"model"}` {
		t.Errorf("Marshal() = %s, %v", out, err)
	}
	image := `{"name":"web","image":{"repoURL":"ghcr.io/x/web"}}`
	if err := json.Unmarshal([]byte(image), &sub); err != nil || sub.Generic != nil || sub.Image == nil || sub.Image.RepoURL != "ghcr.io/x/web" {
		t.Errorf("Unmarshal(%s) = %+v, %v", image, sub, err)
	}
	if out, _ := json.Marshal(sub); string(out) != image {
		t.Errorf("Marshal(image) = %s, want %s", out, image)
	}
	for _, bad := range []string{
		`{"a":{},"b":{}}`,                       // two generic types
		`{"image":{"repoURL":"x","typo":true}}`, // unknown field of a known type
		`{"modelhub":{"config":{},"limit":1}}`,  // unknown field of a generic one
	} {
		if err := json.Unmarshal([]byte(bad), &sub); err == nil {
			t.Errorf("Unmarshal(%s) = nil, want an error", bad)
		} else if strings.Contains(bad, `"a"`) && !strings.Contains(err.Error(), "two types") {
			t.Errorf("Unmarshal(%s) = %v, want it to say there are two types", bad, err)
		}
	}
}
