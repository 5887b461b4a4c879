package hclupdate_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/steps/hclupdate"
	"github.com/drayhq/dray/pkg/steps/steptest"
)

func TestGolden(t *testing.T) { steptest.Golden(t, hclupdate.New()) }

func TestConfigMatchesSchema(t *testing.T) {
	steptest.ConfigMatchesSchema(t, hclupdate.Name, hclupdate.Config{})
}
