package hclupdate_test

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/drayhq/dray/pkg/keypath"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/hclupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestApply(t *testing.T) {
	up := func(k string, v any) []hclupdate.Update { return []hclupdate.Update{{Key: k, Value: v}} }
	tests := []struct {
		name    string
		in      string
		updates []hclupdate.Update
		want    string
	}{
		{"top-level string keeps spacing and comment", "a   =   \"x\"  # c\n", up("a", "y"), "a   =   \"y\"  # c\n"},
		{"string escapes", "a = 1\n", up("a", "q\"\\\n%{x}"), "a = \"q\\\"\\\\\\n%%{x}\"\n"},
		{"float64 integer", "n = 1\n", up("n", 42.0), "n = 42\n"},
		{"fraction", "n = 1\n", up("n", 0.25), "n = 0.25\n"},
		{"negative", "n = 1\n", up("n", -3.0), "n = -3\n"},
		{"int", "n = 1\n", up("n", 7), "n = 7\n"},
		{"bool", "b = \"x\"\n", up("b", false), "b = false\n"},
		{"reference replaced", "a = var.x # c\n", up("a", "v"), "a = \"v\" # c\n"},
		{"heredoc replaced whole", "a = <<EOT\nhello\nEOT\nb = 1\n", up("a", "v"), "a = \"v\"\nb = 1\n"},
		{"list replaced", "a = [1, 2]\n", up("a", "v"), "a = \"v\"\n"},
		{"labelled block", "b \"x\" \"y\" {\n  a = 1\n}\nb \"x\" \"z\" {\n  a = 1\n}\n", up("b.x.z.a", 2.0), "b \"x\" \"y\" {\n  a = 1\n}\nb \"x\" \"z\" {\n  a = 2\n}\n"},
		{"label with a dot", "b \"example.com\" {\n  a = 1\n}\n", up(`b.example\.com.a`, 2.0), "b \"example.com\" {\n  a = 2\n}\n"},
		{"numeric label", "b \"0\" {\n  a = 1\n}\n", up("b.:0.a", 2.0), "b \"0\" {\n  a = 2\n}\n"},
		{"nested", "a {\n  b {\n    c {\n      d = 1\n    }\n  }\n}\n", up("a.b.c.d", 2.0), "a {\n  b {\n    c {\n      d = 2\n    }\n  }\n}\n"},
		{"index of single block", "a {\n  x = 1\n}\n", up("a.0.x", 2.0), "a {\n  x = 2\n}\n"},
		{"one-line attribute block", "a { x = 1 }\n", up("a.x", 2.0), "a { x = 2 }\n"},
		{"add to block, indented like items", "a {\n    x = 1\n}\n", up("a.y", 2.0), "a {\n    x = 1\n    y = 2\n}\n"},
		{"add to empty block", "a {\n}\n", up("a.y", 2.0), "a {\n  y = 2\n}\n"},
		{"add to empty one-line block", "  a {}\n", up("a.y", 2.0), "  a {\n    y = 2\n  }\n"},
		{"add at top, no final newline", "x = 1", up("y", 2.0), "x = 1\ny = 2\n"},
		{"add to empty file", "", up("y", "v"), "y = \"v\"\n"},
		{"add with CRLF", "a {\r\n  x = 1\r\n}\r\n", up("a.y", true), "a {\r\n  x = 1\r\n  y = true\r\n}\r\n"},
		{"add then update", "a {\n}\n", []hclupdate.Update{{Key: "a.y", Value: 1.0}, {Key: "a.y", Value: 2.0}}, "a {\n  y = 2\n}\n"},
		{"two updates, later wins", "a = 1\n", []hclupdate.Update{{Key: "a", Value: 1.5}, {Key: "a", Value: "z"}}, "a = \"z\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hclupdate.Apply([]byte(tt.in), tt.updates)
			if err != nil {
				t.Fatalf("Apply(%q, %v) = %v, want %q", tt.in, tt.updates, err, tt.want)
			}
			if string(got) != tt.want {
				t.Errorf("Apply(%q, %v) = %q, want %q", tt.in, tt.updates, got, tt.want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		key  string
		want error
	}{
		{"missing block", "a {\n  x = 1\n}\n", "b.x", hclupdate.ErrKeyNotFound},
		{"missing labelled block", "b \"x\" {\n  a = 1\n}\n", "b.y.a", hclupdate.ErrKeyNotFound},
		{"too few labels", "b \"x\" \"y\" {\n  a = 1\n}\n", "b.x", hclupdate.ErrKeyNotFound},
		{"path through an attribute", "a = {b = 1}\n", "a.b", hclupdate.ErrKeyNotFound},
		{"names a block", "a {\n  x = 1\n}\n", "a", hclupdate.ErrNotAttribute},
		{"names a nested block", "a {\n  b {\n  }\n}\n", "a.b", hclupdate.ErrNotAttribute},
		{"index past end", "a {\n  x = 1\n}\n", "a.1.x", hclupdate.ErrKeyNotFound},
		{"index names a block", "a {\n  x = 1\n}\na {\n  x = 1\n}\n", "a.1", hclupdate.ErrBadKey},
		{"ambiguous", "a {\n  x = 1\n}\na {\n  x = 1\n}\n", "a.x", hclupdate.ErrAmbiguous},
		{"bad key", "a = 1\n", "a..b", keypath.ErrSyntax},
		{"not an identifier", "a = 1\n", "a.b\\.c", hclupdate.ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hclupdate.Apply([]byte(tt.in), []hclupdate.Update{{Key: tt.key, Value: "x"}})
			if !errors.Is(err, tt.want) {
				t.Errorf("Apply(%q, %s) = %v, want %v", tt.in, tt.key, err, tt.want)
			}
		})
	}
	if _, err := hclupdate.Apply([]byte("a = \n"), []hclupdate.Update{{Key: "a", Value: "x"}}); err == nil {
		t.Errorf("Apply(bad HCL) = nil error, want a parse error")
	}
	// A one-line block holds a single attribute; adding a second would not parse.
	if _, err := hclupdate.Apply([]byte("a { x = 1 }\n"), []hclupdate.Update{{Key: "a.y", Value: "x"}}); err == nil {
		t.Errorf("Apply(add to a one-line block) = nil error, want an error")
	}
	if _, err := hclupdate.Apply([]byte("a = 1\n"), []hclupdate.Update{{Key: "a", Value: []any{"x"}}}); err == nil {
		t.Errorf("Apply(list value) = nil error, want an error")
	}
}

func TestRunErrors(t *testing.T) {
	upd := func(k string, v any) []any { return []any{map[string]any{"key": k, "value": v}} }
	tests := []struct {
		name     string
		file     string
		updates  []any
		terminal bool
		wantErr  error
	}{
		{name: "null value", file: "a = 1\n", updates: upd("a", nil), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "list value", file: "a = 1\n", updates: upd("a", []any{"x"}), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "object value", file: "a = 1\n", updates: upd("a", map[string]any{"b": 1.0}), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "empty part", file: "a = 1\n", updates: upd("a..b", "x"), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "attribute not an identifier", file: "a = 1\n", updates: upd("b.c d", "x"), terminal: true, wantErr: steps.ErrInvalidConfig},
		{name: "path escape", file: "a = 1\n", updates: upd("a", "x"), terminal: true, wantErr: steps.ErrPathEscape},
		{name: "missing block", file: "a = 1\n", updates: upd("b.c", "x"), wantErr: &steps.StepError{Reason: hclupdate.ReasonKeyPathNotFound}},
		{name: "names a block", file: "b {\n}\n", updates: upd("b", "x"), wantErr: &steps.StepError{Reason: hclupdate.ReasonKeyPathNotAttribute}},
		{name: "ambiguous", file: "b {\n}\nb {\n}\n", updates: upd("b.c", "x"), wantErr: &steps.StepError{Reason: hclupdate.ReasonKeyPathAmbiguous}},
		{name: "second update fails", file: "a = 1\n", updates: append(upd("a", "x"), upd("b.c", "y")...), wantErr: hclupdate.ErrKeyNotFound},
		{name: "bad hcl", file: "a = \n", updates: upd("a", "x")},
		{name: "missing file", updates: upd("a", "x"), wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{}
			if tt.file != "" {
				files["f.tf"] = []byte(tt.file)
			}
			path := "f.tf"
			if tt.name == "path escape" {
				path = "../f.tf"
			}
			sc := steptest.NewContext(t, map[string]any{"path": path, "updates": tt.updates}, files)
			before := steptest.Snapshot(t, sc.WorkDir)
			_, err := steptest.Run(t, hclupdate.New(), sc)
			if err == nil || steps.IsTerminal(err) != tt.terminal {
				t.Fatalf("Run() = %v, want an error (terminal: %v)", err, tt.terminal)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Run() = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, steptest.Snapshot(t, sc.WorkDir)); diff != "" {
				t.Errorf("workspace changed by a failed Run (-before +after):\n%s", diff)
			}
		})
	}
}

// FuzzApply checks that Apply never panics, that what it writes is still HCL in which the key
// holds the value, and that setting the same value again changes nothing.
func FuzzApply(f *testing.F) {
	f.Add("a = 1 # c\nb \"x\" {\n  c = \"x\"\n}\n", "b.x.c", "y")
	f.Add("a {\n  b {\n  }\n}\n", "a.b.c", "it's ${x}")
	f.Add("a {}\n", "a.0.z", "\n\t\"")
	f.Add("x = 1", "y", "%{if}")
	f.Fuzz(func(t *testing.T, in, key, value string) {
		out, err := hclupdate.Apply([]byte(in), []hclupdate.Update{{Key: key, Value: value}})
		if err != nil {
			return
		}
		got, err := lookup(out, key)
		if err != nil {
			t.Fatalf("Apply(%q, %s) = %q, which does not address %s: %v", in, key, out, key, err)
		}
		// Config values come from JSON, valid UTF-8; Apply replaces invalid bytes.
		if want := cty.StringVal(strings.ToValidUTF8(value, "\uFFFD")); !got.RawEquals(want) {
			t.Errorf("Apply(%q, %s, %q) = %q, where %s is %#v", in, key, value, out, key, got)
		}
		again, err := hclupdate.Apply(out, []hclupdate.Update{{Key: key, Value: value}})
		if err != nil || string(again) != string(out) {
			t.Errorf("Apply(Apply(%q)) = %q, %v; want it unchanged: %q", in, again, err, out)
		}
	})
}

// FuzzParseKey checks that a key ParseKey accepts round-trips through keypath.Part.String.
func FuzzParseKey(f *testing.F) {
	for _, k := range []string{"a", "resource.aws_lambda_function.app.image_uri", `b.example\.com.c`, "a.:0.b", "a..b", "0.a", "a.b-c"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		parts, err := hclupdate.ParseKey(key)
		if err != nil {
			return
		}
		if len(parts) == 0 || !hclsyntax.ValidIdentifier(parts[0].Key) || !hclsyntax.ValidIdentifier(parts[len(parts)-1].Key) {
			t.Fatalf("ParseKey(%q) = %v: want identifiers first and last", key, parts)
		}
		s := ""
		for i, p := range parts {
			if i > 0 {
				s += "."
			}
			s += p.String()
		}
		again, err := hclupdate.ParseKey(s)
		if err != nil || !cmp.Equal(again, parts) {
			t.Errorf("ParseKey(%q) = %v, %v; want %v (from %q)", s, again, err, parts, key)
		}
	})
}

// lookup evaluates the attribute key of src, following blocks as Apply does (taking the
// first match of each block; index parts select among repeated blocks).
func lookup(src []byte, key string) (cty.Value, error) {
	f, diags := hclsyntax.ParseConfig(src, "", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	parts, err := hclupdate.ParseKey(key)
	if err != nil {
		return cty.NilVal, err
	}
	body := f.Body.(*hclsyntax.Body)
	for len(parts) > 1 {
		var matched []*hclsyntax.Block
		n := 0
		for _, b := range body.Blocks {
			if b.Type != parts[0].Key || len(parts) <= 1+len(b.Labels) {
				continue
			}
			ok := true
			for i, l := range b.Labels {
				ok = ok && parts[1+i].Key == l
			}
			if ok {
				matched, n = append(matched, b), len(b.Labels)
			}
		}
		if len(matched) == 0 {
			return cty.NilVal, errors.New("no block")
		}
		parts = parts[1+n:]
		b := matched[0]
		if i, ok := parts[0].Index(); ok && i < len(matched) {
			b, parts = matched[i], parts[1:]
		}
		body = b.Body
	}
	a, ok := body.Attributes[parts[0].Key]
	if !ok {
		return cty.NilVal, errors.New("no attribute")
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return v, nil
}

// BenchmarkApply updates three attributes, one of them new, in a Terraform file of about
// 48 KB (100 resources with comments).
func BenchmarkApply(b *testing.B) {
	var in []byte
	for i := 0; i < 100; i++ {
		in = append(in, []byte(resource(i))...)
	}
	updates := []hclupdate.Update{
		{Key: "resource.aws_lambda_function.app_50.image_uri", Value: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1.27.0"},
		{Key: "resource.aws_lambda_function.app_99.memory_size", Value: 1024.0},
		{Key: "resource.aws_lambda_function.app_7.environment.timeout", Value: 30.0},
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hclupdate.Apply(in, updates); err != nil {
			b.Fatal(err)
		}
	}
}

func resource(i int) string {
	return `# Function ` + strconv.Itoa(i) + `, deployed by Dray.
resource "aws_lambda_function" "app_` + strconv.Itoa(i) + `" {
  function_name = "app-` + strconv.Itoa(i) + `"
  role          = aws_iam_role.app.arn
  package_type  = "Image"
  image_uri     = "${local.repo}:${var.image_tag}" // pinned per release
  memory_size   = 256
  publish       = false

  tracing_config {
    mode = "PassThrough"
  }

  environment {
    variables = {
      LOG_LEVEL = "info"
      REGION    = var.region
    }
  }

  tags = merge(local.tags, { Name = "app-` + strconv.Itoa(i) + `" })
}

`
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
