package expr_test

import (
	"errors"
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

// collection is a Freight collection with two Warehouses: both provide ghcr.io/x/shared and
// the cfg repository (under different URL spellings); only fe provides ghcr.io/x/fe.
func collection() *expr.Env {
	return &expr.Env{Freight: []v1.Freight{
		{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "fe"},
			Images: []v1.Image{
				{RepoURL: "ghcr.io/x/fe", Tag: "v1.2.3", Digest: "sha256:aa", Annotations: map[string]string{"org.opencontainers.image.revision": "abc"}},
				{RepoURL: "ghcr.io/x/fe", Tag: "second"},
				{RepoURL: "ghcr.io/x/shared", Tag: "from-fe"},
			},
			Commits: []v1.GitCommit{{RepoURL: "https://github.com/x/cfg.git", ID: "c0ffee", Branch: "main"}},
			Charts: []v1.Chart{
				{RepoURL: "https://charts.example.com", Name: "app", Version: "1.0.0"},
				{RepoURL: "oci://ghcr.io/x/charts/app", Version: "2.0.0"},
			},
		},
		{
			Origin: v1.FreightOrigin{Name: "be"}, // empty kind means Warehouse
			Images: []v1.Image{{RepoURL: "ghcr.io/x/shared", Tag: "from-be"}},
			Commits: []v1.GitCommit{
				{RepoURL: "HTTPS://GitHub.com/x/cfg/", ID: "beef"},
				{RepoURL: "git@GitHub.com:x/ssh-only.git", ID: "5511abc"},
				{RepoURL: "https://github.com/x/only-be", ID: "b0"},
			},
			Charts: []v1.Chart{{RepoURL: "https://charts.example.com", Name: "shared", Version: "3.0.0"}},
		},
		{
			// A second Freight of the same origin does not make a lookup ambiguous.
			Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "be"},
			Commits: []v1.GitCommit{{RepoURL: "https://github.com/x/only-be", ID: "b1"}},
			Charts:  []v1.Chart{{RepoURL: "https://charts.example.com", Name: "shared", Version: "9.9.9"}},
		},
	}}
}

func TestImageFrom(t *testing.T) {
	runEval(t, collection(), []evalCase{
		{"tag", "${{ imageFrom('ghcr.io/x/fe').Tag }}", "v1.2.3"},
		{"first match wins", "${{ imageFrom('ghcr.io/x/fe').Tag == 'v1.2.3' }}", true},
		{"digest and annotations", "${{ imageFrom('ghcr.io/x/fe').Digest }} ${{ imageFrom('ghcr.io/x/fe').Annotations['org.opencontainers.image.revision'] }}", "sha256:aa abc"},
		{"renders with JSON names", "${{ imageFrom('ghcr.io/x/fe') }}", map[string]any{
			"repoURL": "ghcr.io/x/fe", "tag": "v1.2.3", "digest": "sha256:aa",
			"annotations": map[string]any{"org.opencontainers.image.revision": "abc"},
		}},
		{"exact match only", "${{ imageFrom('GHCR.io/x/fe') }}", nil},
		{"no library normalisation", "${{ imageFrom('docker.io/library/ghcr.io/x/fe') == nil }}", true},
		{"unknown repository is nil", "${{ imageFrom('ghcr.io/x/none')?.Tag ?? 'none' }}", "none"},
		{"origin disambiguates", "${{ imageFrom('ghcr.io/x/shared', warehouse('be')).Tag }}", "from-be"},
		{"origin disambiguates other way", "${{ imageFrom('ghcr.io/x/shared', warehouse('fe')).Tag }}", "from-fe"},
		{"origin without the image is nil", "${{ imageFrom('ghcr.io/x/fe', warehouse('be')) }}", nil},
		{"unknown origin is nil", "${{ imageFrom('ghcr.io/x/fe', warehouse('zz')) }}", nil},
		{"no freight at all is nil", "${{ imageFrom('ghcr.io/x/fe', warehouse('fe')) == nil }} ${{ 1 }}", "false 1"},
	})
	runEval(t, &expr.Env{}, []evalCase{
		{"empty collection", "${{ imageFrom('ghcr.io/x/fe') }}", nil},
	})
	runErr(t, collection(), []errCase{
		{"ambiguous", "${{ imageFrom('ghcr.io/x/shared').Tag }}", []string{
			"multiple requested Freight could potentially provide", "ghcr.io/x/shared", "fe, be", "disambiguate with warehouse(",
		}},
		{"lower-case field", "${{ imageFrom('ghcr.io/x/fe').tag }}", []string{"cannot fetch tag"}},
		{"nil member access", "${{ imageFrom('ghcr.io/x/none').Tag }}", []string{"cannot fetch Tag from <nil>"}},
		{"no arguments", "${{ imageFrom() }}", []string{"imageFrom: expected 1 to 3 arguments", "(1:"}},
		{"three arguments need a string name", "${{ imageFrom('a', warehouse('fe'), 1) }}", []string{"imageFrom: subscriptionName must be a string"}},
		{"four arguments", "${{ imageFrom('a', 'n', warehouse('fe'), 1) }}", []string{"imageFrom: expected 1 to 3 arguments", "got 4"}},
		{"third argument must be an origin", "${{ imageFrom('a', 'n', 'fe') }}", []string{"imageFrom: origin must come from warehouse()"}},
		{"non-string URL", "${{ imageFrom(1) }}", []string{"repoURL must be a string, got int"}},
		{"second argument type", "${{ imageFrom('a', 1) }}", []string{"second argument must be a subscription name or an origin from warehouse()"}},
	})
}

func TestCommitFrom(t *testing.T) {
	runEval(t, collection(), []evalCase{
		{"normalised match, origin", "${{ commitFrom('https://github.com/x/cfg', warehouse('fe')).ID }}", "c0ffee"},
		{"other spelling, other origin", "${{ commitFrom('https://github.com/x/cfg', warehouse('be')).ID }}", "beef"},
		{"scp form matches ssh URL", "${{ commitFrom('ssh://git@github.com/x/ssh-only').ID }}", "5511abc"},
		{"scp form is not https", "${{ commitFrom('https://github.com/x/ssh-only') }}", nil},
		{"case, slash and credentials ignored", "${{ commitFrom('https://user:pw@GITHUB.com/x/cfg.git/', warehouse('fe')).Branch }}", "main"},
		{"single provider", "${{ commitFrom('https://github.com/x/only-be').ID }}", "b0"},
		{"renders with JSON names", "${{ commitFrom('https://github.com/x/cfg', warehouse('fe')) }}", map[string]any{
			"repoURL": "https://github.com/x/cfg.git", "id": "c0ffee", "branch": "main",
		}},
		{"unknown repository is nil", "${{ commitFrom('https://github.com/x/none') }}", nil},
		{"different repository is nil", "${{ commitFrom('https://github.com/x/cfg2') }}", nil},
	})
	runErr(t, collection(), []errCase{
		{"ambiguous across URL spellings", "${{ commitFrom('https://github.com/x/cfg') }}", []string{
			"multiple requested Freight could potentially provide", "fe, be", "disambiguate with warehouse(",
		}},
		{"bad origin", "${{ commitFrom('x', {'name': 'fe'}) }}", []string{"commitFrom: second argument must be a subscription name or an origin from warehouse()"}},
	})
}

func TestChartFrom(t *testing.T) {
	runEval(t, collection(), []evalCase{
		{"url and name", "${{ chartFrom('https://charts.example.com', 'app').Version }}", "1.0.0"},
		{"OCI url only", "${{ chartFrom('oci://ghcr.io/x/charts/app').Version }}", "2.0.0"},
		{"url and origin", "${{ chartFrom('oci://ghcr.io/x/charts/app', warehouse('fe')).Version }}", "2.0.0"},
		{"url, name and origin", "${{ chartFrom('https://charts.example.com', 'shared', warehouse('be')).Version }}", "3.0.0"},
		{"name across same-origin Freight", "${{ chartFrom('https://charts.example.com', 'shared').Version }}", "3.0.0"},
		{"renders with JSON names", "${{ chartFrom('https://charts.example.com', 'app') }}", map[string]any{
			"repoURL": "https://charts.example.com", "name": "app", "version": "1.0.0",
		}},
		{"origin without the chart is nil", "${{ chartFrom('https://charts.example.com', 'app', warehouse('be')) }}", nil},
	})
	runErr(t, collection(), []errCase{
		{"not found without origin", "${{ chartFrom('https://charts.example.com', 'nope') }}", []string{
			`chart "nope" from repo https://charts.example.com not found in referenced Freight`,
		}},
		{"classic repo needs a name", "${{ chartFrom('https://charts.example.com') }}", []string{`chart "" from repo https://charts.example.com not found`}},
		{"three arguments need a string name", "${{ chartFrom('u', warehouse('fe'), warehouse('fe')) }}", []string{"chartFrom: chartName must be a string"}},
		{"third argument must be an origin", "${{ chartFrom('u', 'n', 'fe') }}", []string{"chartFrom: origin must come from warehouse()"}},
		{"second argument type", "${{ chartFrom('u', 1) }}", []string{"chartFrom: second argument must be a chart name or an origin"}},
		{"too many arguments", "${{ chartFrom('u', 'n', warehouse('fe'), 1) }}", []string{"chartFrom: expected 1 to 3 arguments", "got 4"}},
	})
}

func TestWarehouse(t *testing.T) {
	runEval(t, nil, []evalCase{
		{"fields", "${{ warehouse('w').Kind }}/${{ warehouse('w').Name }}", "Warehouse/w"},
	})
	runErr(t, nil, []errCase{
		{"empty name", "${{ warehouse('') }}", []string{"name must not be empty", "(1:"}},
		{"not a string", "${{ warehouse(1) }}", []string{"warehouse(1)", "(1:"}},
	})
}

// requested is a Stage that requests Freight from three Warehouses: fe and be both subscribe
// to ghcr.io/x/shared, the cfg repository and the shared chart, but only fe has Freight in the
// collection yet; ops subscribes to ghcr.io/x/ops alone and has none.
func requested() *expr.Env {
	wh := func(name string, subs ...v1.RepoSubscription) v1.Warehouse {
		return v1.Warehouse{Metadata: v1.ObjectMeta{Name: name}, Spec: v1.WarehouseSpec{Subscriptions: subs}}
	}
	image := func(u string) v1.RepoSubscription {
		return v1.RepoSubscription{Image: &v1.ImageSubscription{RepoURL: u}}
	}
	git := func(u string) v1.RepoSubscription { return v1.RepoSubscription{Git: &v1.GitSubscription{RepoURL: u}} }
	chart := func(u, n string) v1.RepoSubscription {
		return v1.RepoSubscription{Chart: &v1.ChartSubscription{RepoURL: u, Name: n}}
	}
	warehouses := []v1.Warehouse{
		wh("fe", image("ghcr.io/x/fe"), image("ghcr.io/x/shared"), git("https://github.com/x/cfg.git"), chart("https://charts.example.com", "shared"), chart("https://charts.example.com", "app")),
		wh("be", image("ghcr.io/x/shared"), git("HTTPS://GitHub.com/x/CFG/"), chart("https://charts.example.com", "shared")),
		wh("ops", image("ghcr.io/x/ops")),
	}
	env := &expr.Env{
		Freight: []v1.Freight{{
			Origin:  v1.FreightOrigin{Kind: "Warehouse", Name: "fe"},
			Images:  []v1.Image{{RepoURL: "ghcr.io/x/fe", Tag: "v1"}, {RepoURL: "ghcr.io/x/shared", Tag: "from-fe"}},
			Commits: []v1.GitCommit{{RepoURL: "https://github.com/x/cfg.git", ID: "c0ffee"}},
			Charts:  []v1.Chart{{RepoURL: "https://charts.example.com", Name: "app", Version: "1.0.0"}, {RepoURL: "https://charts.example.com", Name: "shared", Version: "2.0.0"}},
		}},
		Requested: func() ([]v1.Warehouse, error) { return warehouses, nil },
	}
	return env
}

// TestOriginFromRequestedWarehouses: without an origin the freight functions decide from the
// Stage's requested Warehouses and their subscriptions, not from the Freight present.
func TestOriginFromRequestedWarehouses(t *testing.T) {
	env := requested()
	runEval(t, env, []evalCase{
		{"one subscriber", "${{ imageFrom('ghcr.io/x/fe').Tag }}", "v1"},
		{"subscriber without Freight yet is nil", "${{ imageFrom('ghcr.io/x/ops') }}", nil},
		{"no subscriber is nil", "${{ imageFrom('ghcr.io/x/none') }}", nil},
		{"origin still disambiguates", "${{ imageFrom('ghcr.io/x/shared', warehouse('fe')).Tag }}", "from-fe"},
		{"origin without Freight is nil", "${{ imageFrom('ghcr.io/x/shared', warehouse('be')) }}", nil},
		{"chart of one subscriber", "${{ chartFrom('https://charts.example.com', 'app').Version }}", "1.0.0"},
	})
	runErr(t, env, []errCase{
		{"image two subscribers", "${{ imageFrom('ghcr.io/x/shared') }}", []string{"multiple requested Freight could potentially provide a container image from repository ghcr.io/x/shared", "Warehouses fe, be"}},
		{"commit two subscribers, normalised", "${{ commitFrom('https://GitHub.com/x/cfg') }}", []string{"multiple requested Freight", "fe, be"}},
		{"chart two subscribers", "${{ chartFrom('https://charts.example.com', 'shared') }}", []string{"multiple requested Freight", "fe, be"}},
		{"chart no subscriber", "${{ chartFrom('https://charts.example.com', 'none') }}", []string{`chart "none" from repo https://charts.example.com not found in referenced Freight`}},
	})
	broken := &expr.Env{Requested: func() ([]v1.Warehouse, error) { return nil, errors.New("read Stage dev: store unavailable") }}
	runErr(t, broken, []errCase{
		{"callback error", "${{ imageFrom('ghcr.io/x/fe') }}", []string{"read Stage dev: store unavailable"}},
	})
	// A Warehouse that no longer exists comes by name alone: its Freight decides for it.
	gone := requested()
	warehouses, _ := gone.Requested()
	warehouses = append(warehouses, v1.Warehouse{Metadata: v1.ObjectMeta{Name: "old"}})
	gone.Requested = func() ([]v1.Warehouse, error) { return warehouses, nil }
	gone.Freight = append(gone.Freight, v1.Freight{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "old"},
		Images: []v1.Image{{RepoURL: "ghcr.io/x/old", Tag: "v0"}, {RepoURL: "ghcr.io/x/fe", Tag: "v0"}},
	})
	runEval(t, gone, []evalCase{{"gone Warehouse's Freight decides", "${{ imageFrom('ghcr.io/x/old').Tag }}", "v0"}})
	runErr(t, gone, []errCase{{"gone Warehouse's Freight counts", "${{ imageFrom('ghcr.io/x/fe') }}", []string{"Warehouses fe, old"}}})
}

// TestArtifactFrom: artifactFrom returns the Freight's artifact of a generic subscription by
// name, Metadata {} when it has none; without an origin the requested Warehouses decide.
func TestArtifactFrom(t *testing.T) {
	env := &expr.Env{Freight: []v1.Freight{{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "ml"},
		Artifacts: []v1.GenericArtifact{
			{ArtifactType: "modelhub", SubscriptionName: "model", Version: "v3", Metadata: map[string]any{"accuracy": 0.93}},
			{ArtifactType: "modelhub", SubscriptionName: "bare", Version: "v1"},
		},
	}}}
	runEval(t, env, []evalCase{
		{"version", "${{ artifactFrom('model').Version }}", "v3"},
		{"metadata", "${{ artifactFrom('model').Metadata.accuracy }}", 0.93},
		{"type", "${{ artifactFrom('model').ArtifactType }}", "modelhub"},
		{"metadata is {} when absent", "${{ artifactFrom('bare').Metadata }}", map[string]any{}},
		{"renders with JSON names", "${{ artifactFrom('bare') }}", map[string]any{"artifactType": "modelhub", "subscriptionName": "bare", "version": "v1"}},
		{"with origin", "${{ artifactFrom('model', warehouse('ml')).Version }}", "v3"},
		{"other origin is nil", "${{ artifactFrom('model', warehouse('other')) }}", nil},
		{"unknown is nil", "${{ artifactFrom('nothing') }}", nil},
	})
	warehouses := []v1.Warehouse{
		{Metadata: v1.ObjectMeta{Name: "ml"}, Spec: v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Name: "model", Generic: &v1.GenericSubscription{Type: "modelhub"}}}}},
		{Metadata: v1.ObjectMeta{Name: "ml2"}, Spec: v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{{Name: "model", Generic: &v1.GenericSubscription{Type: "modelhub"}}}}},
	}
	env.Requested = func() ([]v1.Warehouse, error) { return warehouses[:1], nil }
	runEval(t, env, []evalCase{{"one requested subscriber", "${{ artifactFrom('model').Version }}", "v3"}})
	env.Requested = func() ([]v1.Warehouse, error) { return warehouses, nil }
	runErr(t, env, []errCase{{"two requested subscribers", "${{ artifactFrom('model') }}", []string{"multiple requested Freight", "ml, ml2"}}})
}

// TestSubscriptionName: a Warehouse that subscribes to one repository twice (named
// subscriptions, Kargo #6724) makes imageFrom and commitFrom take the subscription's name;
// asked by URL alone they name the subscriptions, and an unknown name is an error that points
// at warehouse() for those who meant a Warehouse.
func TestSubscriptionName(t *testing.T) {
	app := v1.Warehouse{Metadata: v1.ObjectMeta{Name: "app"}, Spec: v1.WarehouseSpec{Subscriptions: []v1.RepoSubscription{
		{Name: "main", Image: &v1.ImageSubscription{RepoURL: "ghcr.io/x/app"}},
		{Name: "release", Image: &v1.ImageSubscription{RepoURL: "ghcr.io/x/app"}},
		{Name: "trunk", Git: &v1.GitSubscription{RepoURL: "https://github.com/x/cfg"}},
		{Name: "stable", Git: &v1.GitSubscription{RepoURL: "https://github.com/x/cfg.git"}},
		{Image: &v1.ImageSubscription{RepoURL: "ghcr.io/x/single"}},
	}}}
	freight := []v1.Freight{{
		Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images: []v1.Image{
			{RepoURL: "ghcr.io/x/app", Tag: "v2.0.0-rc1", SubscriptionName: "main"},
			{RepoURL: "ghcr.io/x/app", Tag: "v1.9.3", SubscriptionName: "release"},
			{RepoURL: "ghcr.io/x/single", Tag: "v1"},
		},
		Commits: []v1.GitCommit{
			{RepoURL: "https://github.com/x/cfg", ID: "aaa", SubscriptionName: "trunk"},
			{RepoURL: "https://github.com/x/cfg.git", ID: "bbb", SubscriptionName: "stable"},
		},
	}}
	env := &expr.Env{Freight: freight, Requested: func() ([]v1.Warehouse, error) { return []v1.Warehouse{app}, nil }}
	runEval(t, env, []evalCase{
		{"by name", "${{ imageFrom('ghcr.io/x/app', 'release').Tag }}", "v1.9.3"},
		{"other name", "${{ imageFrom('ghcr.io/x/app', 'main').Tag }}", "v2.0.0-rc1"},
		{"name and origin", "${{ imageFrom('ghcr.io/x/app', 'release', warehouse('app')).Tag }}", "v1.9.3"},
		{"single subscription by URL", "${{ imageFrom('ghcr.io/x/single').Tag }}", "v1"},
		{"commit by name, normalised URL", "${{ commitFrom('https://GitHub.com/x/cfg/', 'stable').ID }}", "bbb"},
		{"subscription name field", "${{ commitFrom('https://github.com/x/cfg', 'trunk').SubscriptionName }}", "trunk"},
	})
	runErr(t, env, []errCase{
		{"URL alone is ambiguous", "${{ imageFrom('ghcr.io/x/app') }}", []string{
			`imageFrom: Warehouse "app" has ghcr.io/x/app from more than one subscription ("main", "release")`, "imageFrom('ghcr.io/x/app', 'main')",
		}},
		{"URL and origin alone are ambiguous", "${{ imageFrom('ghcr.io/x/app', warehouse('app')) }}", []string{`("main", "release")`}},
		{"commit URL alone is ambiguous", "${{ commitFrom('https://github.com/x/cfg') }}", []string{`commitFrom: Warehouse "app"`, `("trunk", "stable")`}},
		{"unknown name", "${{ imageFrom('ghcr.io/x/app', 'app') }}", []string{`no requested Warehouse has a subscription named "app" to ghcr.io/x/app`, "warehouse(\"app\")"}},
	})
	// Without a Stage at hand (dray run), the Freight's artifacts say the same.
	local := &expr.Env{Freight: freight}
	runEval(t, local, []evalCase{{"by name from Freight", "${{ imageFrom('ghcr.io/x/app', 'release').Tag }}", "v1.9.3"}})
	runErr(t, local, []errCase{{"URL alone from Freight", "${{ imageFrom('ghcr.io/x/app') }}", []string{`the Freight of Warehouse "app"`, `("main", "release")`}}})
}
