package ui_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drayhq/dray/services/gateway/ui"
)

func TestLayout(t *testing.T) {
	tests := []struct {
		name    string
		nodes   []string
		parents map[string][]string
		want    map[string]ui.Pos
	}{{
		name:    "a chain goes left to right",
		nodes:   []string{"prod", "app", "staging", "dev"},
		parents: map[string][]string{"dev": {"app"}, "staging": {"dev"}, "prod": {"staging"}},
		want:    map[string]ui.Pos{"app": {0, 0}, "dev": {1, 0}, "staging": {2, 0}, "prod": {3, 0}},
	}, {
		name:  "a node sits right of its furthest parent",
		nodes: []string{"app", "dev", "qa", "prod"},
		parents: map[string][]string{"dev": {"app"}, "qa": {"dev"},
			"prod": {"app", "qa"}},
		want: map[string]ui.Pos{"app": {0, 0}, "dev": {1, 0}, "qa": {2, 0}, "prod": {3, 0}},
	}, {
		name:    "children follow their parents' rows, so edges do not cross",
		nodes:   []string{"a", "b", "b-child", "a-child"},
		parents: map[string][]string{"a-child": {"a"}, "b-child": {"b"}},
		want:    map[string]ui.Pos{"a": {0, 0}, "b": {0, 1}, "a-child": {1, 0}, "b-child": {1, 1}},
	}, {
		name:    "a cycle is broken, not followed for ever",
		nodes:   []string{"x", "y"},
		parents: map[string][]string{"x": {"y"}, "y": {"x"}},
		want:    map[string]ui.Pos{"y": {0, 0}, "x": {1, 0}},
	}, {
		name:    "unknown parents and self loops are ignored",
		nodes:   []string{"s"},
		parents: map[string][]string{"s": {"gone", "s"}},
		want:    map[string]ui.Pos{"s": {0, 0}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ui.Layout(tt.nodes, tt.parents)); diff != "" {
				t.Errorf("Layout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLayoutWide: 200 Stages fanned out from one Warehouse through four tiers keep every
// edge pointing right and give each node its own place.
func TestLayoutWide(t *testing.T) {
	nodes := []string{"app"}
	parents := map[string][]string{}
	for i := range 50 {
		prev := "app"
		for tier := range 4 {
			n := fmt.Sprintf("s%02d-t%d", i, tier)
			nodes = append(nodes, n)
			parents[n] = []string{prev}
			prev = n
		}
	}
	pos := ui.Layout(nodes, parents)
	seen := map[ui.Pos]string{}
	for _, n := range nodes {
		p := pos[n]
		if other, ok := seen[p]; ok {
			t.Fatalf("%s and %s share %v", n, other, p)
		}
		seen[p] = n
		for _, parent := range parents[n] {
			if pos[parent].Col >= p.Col {
				t.Errorf("edge %s → %s points from column %d to %d", parent, n, pos[parent].Col, p.Col)
			}
			if parent != "app" && pos[parent].Row != p.Row {
				t.Errorf("%s row %d, its parent %s row %d: chains should stay on one row", n, p.Row, parent, pos[parent].Row)
			}
		}
	}
}
