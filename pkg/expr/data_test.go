package expr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/expr"
)

// store is what the data callbacks of dataEnv read, and how often they were asked.
type store struct {
	maps    map[string]map[string]string // "<kind>/<name>" → data
	objects map[string]map[string]any    // "<kind>/<name>" → state
	calls   map[string]int               // "<kind>/<name>" → callback calls
}

func (s *store) readMap(kind string) func(string) (map[string]string, error) {
	return func(name string) (map[string]string, error) {
		key := kind + "/" + name
		s.calls[key]++
		if name == "broken" {
			return nil, errors.New("store unavailable")
		}
		return s.maps[key], nil
	}
}

func (s *store) readObject(kind string) func(string) (map[string]any, error) {
	return func(name string) (map[string]any, error) {
		key := kind + "/" + name
		s.calls[key]++
		if name == "broken" {
			return nil, errors.New("store unavailable")
		}
		return s.objects[key], nil
	}
}

// dataEnv returns an Env whose data callbacks read a fresh store.
func dataEnv() (*expr.Env, *store) {
	s := &store{
		maps: map[string]map[string]string{
			"secret/db":          {"user": "app", "password": "hunter2"},
			"sharedSecret/git":   {"token": "ghp_shared"},
			"configMap/app":      {"url": "https://api.example.com", "replicas": "3"},
			"sharedConfigMap/ca": {"bundle": "PEM"},
		},
		objects: map[string]map[string]any{
			"freightMetadata/f1": {"ticket": "OPS-1", "score": 7.0},
			"freightStatus/f1": {
				"verifiedIn": map[string]any{"test": map[string]any{"longestSoak": "1h"}},
				"metadata":   map[string]any{"ticket": "OPS-1"},
			},
			"stageMetadata/prod": {"owner": "sre"},
		},
		calls: map[string]int{},
	}
	return &expr.Env{
		Secret:          s.readMap("secret"),
		SharedSecret:    s.readMap("sharedSecret"),
		ConfigMap:       s.readMap("configMap"),
		SharedConfigMap: s.readMap("sharedConfigMap"),
		FreightMetadata: s.readObject("freightMetadata"),
		FreightStatus:   s.readObject("freightStatus"),
		StageMetadata:   s.readObject("stageMetadata"),
	}, s
}

func TestDataFunctions(t *testing.T) {
	env, _ := dataEnv()
	runEval(t, env, []evalCase{
		{"secret key", "${{ secret('db').password }}", "hunter2"},
		{"secret whole", "${{ secret('db') }}", map[string]any{"user": "app", "password": "hunter2"}},
		{"missing secret is empty", "${{ secret('none') }}", map[string]any{}},
		{"missing secret key is empty string", "${{ secret('none').password == '' }}", true},
		{"empty secret name is empty", "${{ len(secret('')) }}", 0.0},
		{"shared secret", "${{ sharedSecret('git').token }}", "ghp_shared"},
		{"missing or non-generic shared secret", "${{ sharedSecret('db') }}", map[string]any{}},
		{"config map", "${{ configMap('app').url }}/v1", "https://api.example.com/v1"},
		{"config map value coerced", "${{ configMap('app').replicas }}", 3.0},
		{"missing config map", "${{ configMap('none') }}", map[string]any{}},
		{"shared config map", "${{ sharedConfigMap('ca').bundle }}", "PEM"},
		{"missing shared config map", "${{ sharedConfigMap('none')['x'] ?? 'd' }}", ""},
		{"freight metadata", "${{ freightMetadata('f1').ticket }}", "OPS-1"},
		{"freight metadata number", "${{ freightMetadata('f1').score + 1 }}", 8.0},
		{"missing freight metadata is nil", "${{ freightMetadata('none') }}", nil},
		{"missing freight metadata with default", "${{ freightMetadata('none')?.ticket ?? 'none' }}", "none"},
		{"freight status", "${{ freightStatus('f1').verifiedIn.test.longestSoak }}", "1h"},
		{"missing freight status is nil", "${{ freightStatus('none') == nil }}", true},
		{"stage metadata", "${{ stageMetadata('prod').owner }}", "sre"},
		{"missing stage metadata is nil", "${{ stageMetadata('none') ?? 'none' }}", "none"},
		{"artifact is nil", "${{ artifactFrom('charts') }}", nil},
		{"artifact with origin is nil", "${{ artifactFrom('charts', warehouse('w'))?.Version ?? 'none' }}", "none"},
	})
	runErr(t, env, []errCase{
		{"freight metadata empty name", "${{ freightMetadata('') }}", []string{"freightMetadata: freightName must not be empty", "(1:"}},
		{"freight status empty name", "${{ freightStatus('') }}", []string{"freightStatus: freightName must not be empty", "(1:"}},
		{"stage metadata empty name", "${{ stageMetadata('') }}", []string{"stageMetadata: stageName must not be empty"}},
		{"secret no argument", "${{ secret() }}", []string{"secret: expected 1 argument (name), got 0"}},
		{"secret two arguments", "${{ secret('a', 'b') }}", []string{"secret: expected 1 argument (name), got 2"}},
		{"config map name not a string", "${{ configMap(1) }}", []string{"configMap: name must be a string, got int"}},
		{"stage name not a string", "${{ stageMetadata(nil) }}", []string{"stageMetadata: stageName must be a string, got <nil>"}},
		{"secret callback error", "${{ secret('broken') }}", []string{`secret: read secret "broken": store unavailable`}},
		{"shared config map callback error", "${{ sharedConfigMap('broken') }}", []string{`sharedConfigMap: read shared config map "broken": store unavailable`}},
		{"freight status callback error", "${{ freightStatus('broken') }}", []string{`freightStatus: read status of Freight "broken": store unavailable`}},
		{"stage metadata callback error", "${{ stageMetadata('broken') }}", []string{`stageMetadata: read metadata of Stage "broken": store unavailable`}},
		{"artifact no argument", "${{ artifactFrom() }}", []string{"artifactFrom: expected 1 or 2 arguments (subscriptionName[, origin]), got 0"}},
		{"artifact name not a string", "${{ artifactFrom(1) }}", []string{"artifactFrom: subscriptionName must be a string, got int"}},
		{"artifact bad origin", "${{ artifactFrom('s', 'w') }}", []string{"artifactFrom: origin must come from warehouse(), got string"}},
	})
}

func TestDataFunctionsUnavailable(t *testing.T) {
	e := expr.New()
	for _, fn := range []string{"secret", "sharedSecret", "configMap", "sharedConfigMap", "freightMetadata", "freightStatus", "stageMetadata"} {
		t.Run(fn, func(t *testing.T) {
			// Even an empty name: the function itself is missing.
			for _, tmpl := range []string{fmt.Sprintf("${{ %s('x') }}", fn), fmt.Sprintf("${{ %s('') }}", fn)} {
				_, err := e.Template(tmpl, &expr.Env{})
				if !errors.Is(err, expr.ErrDataUnavailable) {
					t.Fatalf("Template(%q) error = %v, want ErrDataUnavailable", tmpl, err)
				}
				if want := fn + "() is not available here"; !strings.Contains(err.Error(), want) {
					t.Errorf("Template(%q) error = %q, want it to contain %q", tmpl, err, want)
				}
			}
		})
	}
}

func TestDataFunctionsCache(t *testing.T) {
	config := map[string]any{
		"a": "${{ secret('db').user }}:${{ secret('db').password }}",
		"b": []any{"${{ secret('db').user }}", "${{ sharedSecret('git').token }}", "${{ sharedSecret('git').token }}"},
		"c": "${{ configMap('app').url }} ${{ configMap('none').url }} ${{ configMap('none').url }}",
		"d": "${{ sharedConfigMap('ca').bundle }}${{ sharedConfigMap('ca').bundle }}",
		"e": "${{ secret('') }}${{ secret('') }}",
		// The Freight and Stage functions read the latest state on every call.
		"f": "${{ freightMetadata('f1').ticket }} ${{ freightMetadata('f1').ticket }}",
		"g": "${{ freightStatus('f1') != nil }} ${{ stageMetadata('prod').owner }} ${{ stageMetadata('prod').owner }}",
	}
	tests := []struct {
		name   string
		render func(*expr.Evaluator, *expr.Env) error
		// want is the number of callback calls after one evaluation.
		want map[string]int
	}{
		{
			name: "Render",
			render: func(e *expr.Evaluator, env *expr.Env) error {
				_, err := e.Render("config", config, env)
				return err
			},
			want: map[string]int{
				"secret/db": 1, "sharedSecret/git": 1, "configMap/app": 1, "configMap/none": 1, "sharedConfigMap/ca": 1,
				"freightMetadata/f1": 2, "freightStatus/f1": 1, "stageMetadata/prod": 2,
			},
		},
		{
			name: "RenderRedacted",
			render: func(e *expr.Evaluator, env *expr.Env) error {
				_, _, err := e.RenderRedacted("config", config, env)
				return err
			},
			want: map[string]int{
				"secret/db": 1, "sharedSecret/git": 1, "configMap/app": 1, "configMap/none": 1, "sharedConfigMap/ca": 1,
				"freightMetadata/f1": 2, "freightStatus/f1": 1, "stageMetadata/prod": 2,
			},
		},
		{
			name: "Template",
			render: func(e *expr.Evaluator, env *expr.Env) error {
				_, err := e.Template("${{ secret('db').user }}${{ secret('db').user }}${{ configMap('app').url }}${{ configMap('app').url }}", env)
				return err
			},
			want: map[string]int{"secret/db": 1, "configMap/app": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := expr.New()
			env, s := dataEnv()
			if err := tt.render(e, env); err != nil {
				t.Fatalf("first evaluation error: %v", err)
			}
			if diff := cmp.Diff(tt.want, s.calls); diff != "" {
				t.Errorf("callback calls after one evaluation mismatch (-want +got):\n%s", diff)
			}
			// The cache lasts one evaluation: the next one reads again.
			if err := tt.render(e, env); err != nil {
				t.Fatalf("second evaluation error: %v", err)
			}
			for key, n := range tt.want {
				if s.calls[key] != 2*n {
					t.Errorf("callback calls of %s after two evaluations = %d, want %d", key, s.calls[key], 2*n)
				}
			}
		})
	}
}
