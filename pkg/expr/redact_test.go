package expr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/pkg/expr"
)

func TestRenderRedacted(t *testing.T) {
	env, _ := dataEnv()
	env.Vars = map[string]any{"x": "v1", "o": map[string]any{"a": 1.0}}
	config := map[string]any{
		"plain":   "text",
		"count":   2.0,
		"version": "${{ vars.x }}",
		"object":  "${{ vars.o }}",
		"headers": []any{
			map[string]any{"name": "Authorization", "value": "Bearer ${{ secret('db').password }}"},
			map[string]any{"name": "X-User", "value": "${{ configMap('app').url }}"},
		},
		"nested": map[string]any{"deep": []any{"${{ sharedSecret('git').token }}", "${{ vars.x }}"}},
		"whole":  "${{ secret('db') }}",
		"bool":   "${{ secret('db').password != '' }}",
		"second": "${{ secret('db').user }}", // cached, still a secret read
		"branch": "${{ false ? secret('db').password : 'public' }}",
	}
	rendered, redacted, err := expr.New().RenderRedacted("config", config, env)
	if err != nil {
		t.Fatalf("RenderRedacted error: %v", err)
	}
	wantRendered := map[string]any{
		"plain":   "text",
		"count":   2.0,
		"version": "v1",
		"object":  map[string]any{"a": 1.0},
		"headers": []any{
			map[string]any{"name": "Authorization", "value": "Bearer hunter2"},
			map[string]any{"name": "X-User", "value": "https://api.example.com"},
		},
		"nested": map[string]any{"deep": []any{"ghp_shared", "v1"}},
		"whole":  map[string]any{"user": "app", "password": "hunter2"},
		"bool":   true,
		"second": "app",
		"branch": "public",
	}
	if diff := cmp.Diff(wantRendered, rendered); diff != "" {
		t.Errorf("RenderRedacted rendered mismatch (-want +got):\n%s", diff)
	}
	wantRedacted := map[string]any{
		"plain":   "text",
		"count":   2.0,
		"version": "v1",
		"object":  map[string]any{"a": 1.0},
		"headers": []any{
			map[string]any{"name": "Authorization", "value": expr.Redacted},
			map[string]any{"name": "X-User", "value": "https://api.example.com"}, // config maps are not secret
		},
		"nested": map[string]any{"deep": []any{expr.Redacted, "v1"}},
		"whole":  expr.Redacted,
		"bool":   expr.Redacted,
		"second": expr.Redacted,
		"branch": "public", // secret() was not called
	}
	if diff := cmp.Diff(wantRedacted, redacted); diff != "" {
		t.Errorf("RenderRedacted redacted mismatch (-want +got):\n%s", diff)
	}
	// The copies share nothing.
	redacted.(map[string]any)["object"].(map[string]any)["a"] = "changed"
	redacted.(map[string]any)["nested"].(map[string]any)["deep"].([]any)[1] = "changed"
	if diff := cmp.Diff(wantRendered, rendered); diff != "" {
		t.Errorf("RenderRedacted copies alias each other (-want +got):\n%s", diff)
	}
	// Render gives the same rendered value.
	plain, err := expr.New().Render("config", config, env)
	if err != nil {
		t.Fatalf("Render error: %v", err)
	}
	if diff := cmp.Diff(wantRendered, plain); diff != "" {
		t.Errorf("Render mismatch (-want +got):\n%s", diff)
	}
}

func TestRenderRedactedSecretVars(t *testing.T) {
	e := expr.New()
	env, _ := dataEnv()
	env.Vars = map[string]any{}
	// The caller evaluates vars in order and records the secret ones.
	vars := []struct{ name, tmpl string }{
		{"token", "${{ secret('db').password }}"},
		{"header", "Bearer ${{ vars.token }}"}, // secret through an earlier var
		{"url", "${{ configMap('app').url }}"},
		{"which", "url"},
	}
	wantSecret := map[string]bool{"token": true, "header": true}
	env.SecretVars = map[string]bool{}
	for _, v := range vars {
		val, secret, err := e.TemplateSecret(v.tmpl, env)
		if err != nil {
			t.Fatalf("TemplateSecret(%q) error: %v", v.tmpl, err)
		}
		if secret != wantSecret[v.name] {
			t.Errorf("TemplateSecret(%q) secret = %v, want %v", v.tmpl, secret, wantSecret[v.name])
		}
		env.Vars[v.name] = val
		if secret {
			env.SecretVars[v.name] = true
		}
	}

	tests := []struct {
		name   string
		tmpl   string
		secret bool
	}{
		{"member", "${{ vars.token }}", true},
		{"index", "x-${{ vars['header'] }}", true},
		{"optional", "${{ vars?.token ?? '' }}", true},
		{"other var", "${{ vars.url }}", false},
		{"other vars only", "${{ vars.url }}/${{ vars.which }}", false},
		{"mixed expressions", "${{ vars.url }}?t=${{ vars.token }}", true},
		{"dynamic key", "${{ vars[vars.which] }}", true},
		{"whole vars", "${{ toJSON(vars) }}", true},
		{"env", "${{ $env.vars.url }}", true},
		{"let", "${{ let v = vars; v.url }}", true},
		{"no vars", "${{ ctx.stage }}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, secret, err := e.TemplateSecret(tt.tmpl, env)
			if err != nil {
				t.Fatalf("TemplateSecret(%q) error: %v", tt.tmpl, err)
			}
			if secret != tt.secret {
				t.Errorf("TemplateSecret(%q) secret = %v, want %v", tt.tmpl, secret, tt.secret)
			}
			rendered, redacted, err := e.RenderRedacted("config", map[string]any{"v": tt.tmpl}, env)
			if err != nil {
				t.Fatalf("RenderRedacted(%q) error: %v", tt.tmpl, err)
			}
			want := rendered.(map[string]any)["v"]
			if tt.secret {
				want = expr.Redacted
			}
			if got := redacted.(map[string]any)["v"]; !cmp.Equal(got, want) {
				t.Errorf("RenderRedacted(%q) redacted = %v, want %v", tt.tmpl, got, want)
			}
		})
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	const password = `hunter"2` // quoted forms escape the quote
	errNotFound := errors.New("not found")
	newEnv := func() *expr.Env {
		return &expr.Env{
			Vars:       map[string]any{"pin": 482913.0, "token": "tok-abcdef", "public": "tok-abcdef-public", "copy": password},
			SecretVars: map[string]bool{"pin": true, "token": true},
			Secret: func(name string) (map[string]string, error) {
				return map[string]string{"password": password, "nan": "NaN"}, nil
			},
			FreightMetadata: func(name string) (map[string]any, error) {
				return nil, errors.Join(errNotFound, errors.New("no Freight "+name))
			},
		}
	}
	tests := []struct {
		name string
		tmpl string
		want string // part of the message that must remain
	}{
		{"int conversion", "${{ int(secret('db').password) }}", "int(secret('db').password)"},
		{"semver", "${{ semverParse(secret('db').password) }}", "invalid semantic version"},
		{"duration", "${{ duration(secret('db').password) }}", "invalid duration"},
		{"date", "${{ date(secret('db').password) }}", "${{ date(secret('db').password) }}"},
		{"coerce", "${{ secret('db').nan }}", "not a JSON number"},
		{"callback error", "${{ freightMetadata(secret('db').password) }}", "no Freight"},
		{"secret var", "${{ int(vars.token) }}", "invalid operation: int("},
		{"numeric secret var", "${{ [1][vars.pin] }}", "index out of range"},
		{"in a longer value", "${{ int(vars.public) }}", "int([redacted]-public)"},
		{"read by an earlier expression", "${{ secret('db').password }}${{ int(vars.copy) }}", "invalid operation: int("},
	}
	secrets := []string{password, "tok-abcdef", "482913", "NaN"}
	e := expr.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, render := range []func() error{
				func() error { _, err := e.Template(tt.tmpl, newEnv()); return err },
				func() error { _, err := e.Render("config", map[string]any{"k": []any{tt.tmpl}}, newEnv()); return err },
				func() error {
					_, _, err := e.RenderRedacted("config", map[string]any{"k": tt.tmpl}, newEnv())
					return err
				},
			} {
				err := render()
				if err == nil {
					t.Fatalf("%q: no error", tt.tmpl)
				}
				if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), expr.Redacted) {
					t.Errorf("%q: error = %q, want it to contain %q and %q", tt.tmpl, err, tt.want, expr.Redacted)
				}
				// No error in the chain shows a secret.
				for _, chained := range chain(err) {
					for _, s := range secrets {
						if strings.Contains(chained.Error(), s) {
							t.Errorf("%q: error %q in the chain shows the secret %q", tt.tmpl, chained, s)
						}
					}
				}
			}
		})
	}

	// A scrubbed error still matches the sentinels of its cause.
	_, err := e.Template("${{ freightMetadata(secret('db').password) }}", newEnv())
	if !errors.Is(err, errNotFound) {
		t.Errorf("scrubbed error %v does not match its cause's sentinel", err)
	}
}

// chain returns err and every error it wraps.
func chain(err error) []error {
	var all []error
	for queue := []error{err}; len(queue) > 0; queue = queue[1:] {
		e := queue[0]
		all = append(all, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				queue = append(queue, next)
			}
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
	return all
}

// TestRenderSecrets: the values of every secret a rendering read, and of the secret vars,
// come back for the executor to redact; a rendering that read none returns none.
func TestRenderSecrets(t *testing.T) {
	env, _ := dataEnv()
	env.Vars = map[string]any{"pass": "from-a-secret", "plain": "v1"}
	env.SecretVars = map[string]bool{"pass": true, "plain": false}
	config := map[string]any{
		"auth":  "Bearer ${{ secret('db').password }}",
		"token": "${{ sharedSecret('git').token }}",
		"again": "${{ secret('db').password }}",
		"url":   "${{ configMap('app').url }}",
	}
	_, redacted, secrets, err := expr.New().RenderSecrets("config", config, env)
	if err != nil {
		t.Fatalf("RenderSecrets error: %v", err)
	}
	// Every value of a secret read counts, not only the keys read.
	want := []string{"app", "from-a-secret", "ghp_shared", "hunter2"}
	if diff := cmp.Diff(want, secrets); diff != "" {
		t.Errorf("RenderSecrets secrets (-want +got):\n%s", diff)
	}
	if got := redacted.(map[string]any)["auth"]; got != expr.Redacted {
		t.Errorf("redacted auth = %v, want %s", got, expr.Redacted)
	}

	env, _ = dataEnv()
	_, _, secrets, err = expr.New().RenderSecrets("config", map[string]any{"url": "${{ configMap('app').url }}"}, env)
	if err != nil || secrets != nil {
		t.Errorf("RenderSecrets(no secret read) = %v, %v; want no secrets", secrets, err)
	}
}
