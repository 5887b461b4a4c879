package expr_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/expr"
)

func TestSemverParse(t *testing.T) {
	const v = "semverParse('v2.4.1-rc.1+build.123')"
	// The method table of docs/expressions.md#semantic-versions, in method and property form.
	runEval(t, &expr.Env{Vars: map[string]any{"ver": "1.2"}}, []evalCase{
		{"Major", "${{ " + v + ".Major() }}", 2.0},
		{"Minor", "${{ " + v + ".Minor() }}", 4.0},
		{"Patch", "${{ " + v + ".Patch() }}", 1.0},
		{"Prerelease", "${{ " + v + ".Prerelease() }}", "rc.1"},
		{"Metadata", "${{ " + v + ".Metadata() }}", "build.123"},
		{"String drops v", "${{ " + v + ".String() }}", "2.4.1-rc.1+build.123"},
		{"Original keeps v", "${{ " + v + ".Original() }}", "v2.4.1-rc.1+build.123"},
		{"IncMajor", "${{ " + v + ".IncMajor().String() }}", "3.0.0"},
		{"IncMinor", "${{ " + v + ".IncMinor().String() }}", "2.5.0"},
		{"IncPatch drops pre-release", "${{ " + v + ".IncPatch().String() }}", "2.4.1"},
		{"IncPatch increments and drops metadata", "${{ semverParse('2.4.1+b').IncPatch().String() }}", "2.4.2"},
		{"Inc keeps v in Original", "${{ semverParse('v1.2.3').IncMinor().Original() }}", "v1.3.0"},
		{"unsigned ints", "${{ type(" + v + ".Major()) }}", "uint"},
		{"empty pre-release", "${{ semverParse('1.0.0').Prerelease() == '' }}", true},

		{"property Major", "${{ " + v + ".Major }}", 2.0},
		{"property Prerelease", "${{ " + v + ".Prerelease }}", "rc.1"},
		{"property chain", "${{ " + v + ".IncMajor.Major + 1 }}", 4.0},
		{"property after call", "${{ " + v + ".IncMinor().Minor }}", 5.0},
		{"property through let", "${{ let x = semverParse(vars.ver); x.Minor * 10 }}", 20.0},
		{"property in predicate", "${{ map(['1.0', '2.1'], semverParse(#).Minor) }}", []any{0.0, 1.0}},
		{"property optional", "${{ semverParse('3.0')?.Major }}", 3.0},

		{"lenient two parts", "${{ semverParse(vars.ver).String() }}", "1.2.0"},
		{"lenient one part", "${{ semverParse('v1').String }}", "1.0.0"},
		{"renders as String", "${{ semverParse('v1.2') }}", "1.2.0"},
		{"renders as String after prefix", "x-${{ semverParse('v1.2') }}", "x-1.2.0"},
		{"JSON as String", "${{ [semverParse('v1.2')] }}", []any{"1.2.0"}},

		{"Compare lower", "${{ semverParse('1.2.3').Compare(semverParse('1.10.0')) }}", -1.0},
		{"Compare equal", "${{ semverParse('1.2.3').Compare(semverParse('v1.2.3')) }}", 0.0},
		{"LessThan", "${{ semverParse('1.2.3').LessThan(semverParse('1.10.0')) }}", true},
		{"GreaterThan", "${{ semverParse('1.2.3').GreaterThan(semverParse('1.2.3-rc.1')) }}", true},
		{"Equal ignores metadata", "${{ semverParse('1.2.3+a').Equal(semverParse('1.2.3+b')) }}", true},
		{"Equal differs", "${{ semverParse('1.2.3').Equal(semverParse('1.2.4')) }}", false},
	})
	runErr(t, &expr.Env{Vars: map[string]any{"n": 1.5}}, []errCase{
		{"invalid", "${{ semverParse('one.two') }}", []string{`invalid semantic version: "one.two"`, "(1:"}},
		{"number at run time", "${{ semverParse(vars.n) }}", []string{"semverParse: argument must be a string, got float64"}},
		{"wrong compare type", "${{ semverParse('1.0.0').LessThan('2.0.0') }}", []string{"(1:"}},
		{"unknown method", "${{ semverParse('1.0.0').Bump }}", []string{"Bump"}},
		{"method with argument stays a method", "${{ semverParse('1.0.0').Compare }}", []string{"unsupported type"}},
	})
}

func TestSemverDiff(t *testing.T) {
	runEval(t, nil, []evalCase{
		{"major", "${{ semverDiff('1.2.3', '2.0.0') }}", "Major"},
		{"minor", "${{ semverDiff('v1.2.3', '1.3.3') }}", "Minor"},
		{"patch", "${{ semverDiff('1.2.3', '1.2.4') }}", "Patch"},
		{"metadata", "${{ semverDiff('1.2.3+a', '1.2.3+b') }}", "Metadata"},
		{"none", "${{ semverDiff('1.2', 'v1.2.0') }}", "None"},
		{"pre-release ignored", "${{ semverDiff('1.2.3-rc.1', '1.2.3') }}", "None"},
		{"order does not matter", "${{ semverDiff('2.0.0', '1.2.3') }}", "Major"},
		{"major beats minor", "${{ semverDiff('1.9.9', '2.0.0') }}", "Major"},
		{"first invalid", "${{ semverDiff('x', '1.0.0') }}", "Incomparable"},
		{"second invalid", "${{ semverDiff('1.0.0', '') }}", "Incomparable"},
	})
	runErr(t, nil, []errCase{
		{"one argument", "${{ semverDiff('1.0.0') }}", []string{"semverDiff", "(1:"}},
	})
}
