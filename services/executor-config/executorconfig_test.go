package executorconfig_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drayhq/dray/pkg/schema"
	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/copystep"
	"github.com/drayhq/dray/pkg/steps/deletestep"
	"github.com/drayhq/dray/pkg/steps/filewrite"
	"github.com/drayhq/dray/pkg/steps/hclupdate"
	"github.com/drayhq/dray/pkg/steps/helmtemplate"
	"github.com/drayhq/dray/pkg/steps/helmupdatechart"
	"github.com/drayhq/dray/pkg/steps/jsonparse"
	"github.com/drayhq/dray/pkg/steps/jsonupdate"
	"github.com/drayhq/dray/pkg/steps/kustomizebuild"
	"github.com/drayhq/dray/pkg/steps/kustomizesetimage"
	"github.com/drayhq/dray/pkg/steps/steptest"
	"github.com/drayhq/dray/pkg/steps/tarstep"
	"github.com/drayhq/dray/pkg/steps/tomlparse"
	"github.com/drayhq/dray/pkg/steps/tomlupdate"
	"github.com/drayhq/dray/pkg/steps/untar"
	"github.com/drayhq/dray/pkg/steps/yamlmerge"
	"github.com/drayhq/dray/pkg/steps/yamlparse"
	"github.com/drayhq/dray/pkg/steps/yamlupdate"
	executorconfig "github.com/drayhq/dray/services/executor-config"
)

// configs is each registered step's Config struct, by step name.
var configs = map[string]any{
	yamlupdate.Name: yamlupdate.Config{}, yamlparse.Name: yamlparse.Config{}, yamlmerge.Name: yamlmerge.Config{},
	jsonupdate.Name: jsonupdate.Config{}, jsonparse.Name: jsonparse.Config{},
	tomlupdate.Name: tomlupdate.Config{}, tomlparse.Name: tomlparse.Config{}, hclupdate.Name: hclupdate.Config{},
	copystep.Name: copystep.Config{}, deletestep.Name: deletestep.Config{}, filewrite.Name: filewrite.Config{},
	tarstep.Name: tarstep.Config{}, untar.Name: untar.Config{},
	kustomizesetimage.Name: kustomizesetimage.Config{}, kustomizebuild.Name: kustomizebuild.Config{},
	helmtemplate.Name: helmtemplate.Config{}, helmupdatechart.Name: helmupdatechart.Config{},
}

// TestStepsHaveSchemas proves that every step this executor registers runs here, has a schema
// in schemas/steps/, and that its Config struct and schema name the same fields.
func TestStepsHaveSchemas(t *testing.T) {
	reg, err := executorconfig.Steps()
	if err != nil {
		t.Fatalf("Steps() = %v", err)
	}
	var names []string
	for name := range configs {
		names = append(names, name)
	}
	if diff := cmp.Diff(names, reg.Names(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("registered steps and the configs of this test differ (-test +registered):\n%s", diff)
	}
	for _, name := range reg.Names() {
		t.Run(name, func(t *testing.T) {
			s, _ := reg.Lookup(name)
			if got := s.Info().Executor; got != executorconfig.Name {
				t.Errorf("Info().Executor = %q, want %q", got, executorconfig.Name)
			}
			if e, ok := steps.ExecutorFor(name); !ok || e != executorconfig.Name {
				t.Errorf("steps.ExecutorFor(%q) = %q, %v; want %q", name, e, ok, executorconfig.Name)
			}
			if !schema.Exists("steps/" + name) {
				t.Fatalf("no schemas/steps/%s.json", name)
			}
			steptest.ConfigMatchesSchema(t, name, configs[name])
		})
	}
}

// TestInvalidConfigFailsBeforeRun: every registered step rejects an unknown field through
// the central schema check, with the field path, before it runs.
func TestInvalidConfigFailsBeforeRun(t *testing.T) {
	reg, err := executorconfig.Steps()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range reg.Names() {
		t.Run(name, func(t *testing.T) {
			sc := steptest.NewContext(t, map[string]any{"bogus": true}, nil)
			err := steps.ValidateConfig(sc, name)
			o := steps.Classify(steps.Result{}, err)
			if o.Status != "Failed" || o.Reason != "InvalidConfig" || !strings.Contains(o.Message, "config.bogus: unknown field") {
				t.Errorf("ValidateConfig(%s, {bogus: true}) → %+v, want Failed, InvalidConfig, naming config.bogus", name, o)
			}
		})
	}
}
