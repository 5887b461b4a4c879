package expr_test

import (
	"testing"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/expr"
)

func TestQuoteFamily(t *testing.T) {
	env := &expr.Env{
		Vars: map[string]any{"s": "a\"b", "multi": "l1\nl2"},
		Freight: []v1.Freight{{
			Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "w"},
			Images: []v1.Image{{RepoURL: "ghcr.io/x/fe", Tag: "1.0"}},
		}},
	}
	// Every row and note of docs/expressions.md#quoting.
	runEval(t, env, []evalCase{
		{"quote string keeps escapes", "${{ quote(vars.s) }}", `a\"b`},
		{"quote newline becomes backslash n", "${{ quote(vars.multi) }}", `l1\nl2`},
		{"quote control char", "${{ quote('\\x01') }}", `\x01`},
		{"quote zero-width space", "${{ quote('\\u200b') }}", `\u200b`},
		{"quote keeps printable unicode", "${{ quote('héllo') }}", "héllo"},
		{"quote number", "${{ quote(42) }}", "42"},
		{"quote bool", "${{ quote(true) }}", "true"},
		{"quote nil", "${{ quote(nil) }}", "null"},
		{"quote map", "${{ quote({'a': 1}) }}", `{"a":1}`},
		{"quote list", "${{ quote([1, 'x']) }}", `[1,"x"]`},
		{"quote numeric string", "${{ quote('007') }}", "007"},
		{"quote does not escape HTML", "${{ quote({'a': '<b>&'}) }}", `{"a":"<b>&"}`},
		{"quote version", "${{ quote(semverParse('v1.2')) }}", "1.2.0"},
		{"quote only works as whole value", "prefix ${{ quote('x') }}", `prefix "x"`},
		{"unsafeQuote keeps JSON quotes", "${{ unsafeQuote('s') }}", `"s"`},
		{"unsafeQuote number", "${{ unsafeQuote(42) }}", "42"},
		{"unsafeQuote map", "${{ unsafeQuote({'a': 1}) }}", `{"a":1}`},
		{"asJSON is pretty with newline", "${{ asJSON({'a': 1, 'b': [true]}) }}", "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}\n"},
		{"asJSON string", "${{ asJSON('x') }}", "\"x\"\n"},
		{"asYAML map", "${% asYAML({'a': 1, 'b': [2.5, 'x'], 'c': {'d': nil}}) %}", "a: 1\nb:\n    - 2.5\n    - x\nc:\n    d: null\n"},
		{"asYAML keeps large integers", "${{ asYAML(12345678901234567) }}", "12345678901234567\n"},
		{"asYAML string", "${{ asYAML('x') }}", "x\n"},
		{"asYAML struct uses JSON names", "${{ asYAML(imageFrom('ghcr.io/x/fe')) }}", "repoURL: ghcr.io/x/fe\ntag: \"1.0\"\n"},
		{"asYAML after prefix keeps quotes", "x: ${{ asYAML(1) }}", "x: \"1\n\""},
	})
	runErr(t, env, []errCase{
		{"quote needs one argument", "${{ quote() }}", []string{"quote()", "(1:"}},
		{"quote of infinity", "${{ quote(1/0) }}", []string{"quote", "unsupported value"}},
		{"asJSON of a function", "${{ asJSON(imageFrom) }}", []string{"asJSON", "unsupported type"}},
		{"asYAML of a function", "${{ asYAML(imageFrom) }}", []string{"asYAML", "unsupported type"}},
	})
}
