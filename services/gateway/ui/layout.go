package ui

import (
	"cmp"
	"slices"
)

// Pos is a node's place in the layered layout: its column (left to right, Freight flows
// rightwards) and its row within the column.
type Pos struct{ Col, Row int }

// Layout places the nodes of a directed graph in columns, left to right: a node with no
// parent is in column 0, any other one column right of its furthest parent (longest path),
// so every edge points rightwards. Within a column, nodes are ordered by the mean row of their
// parents (the barycenter heuristic, which keeps edges short and uncrossed in a pipeline's
// usual fan-out), then by their order in nodes. A cycle, which a valid pipeline never has,
// is broken where it is found. parents maps a node to the nodes it takes Freight from;
// parents not among nodes are ignored.
func Layout(nodes []string, parents map[string][]string) map[string]Pos {
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		index[n] = i
	}
	col := make(map[string]int, len(nodes))
	const visiting = -1
	var depth func(n string) int
	depth = func(n string) int {
		if c, ok := col[n]; ok {
			return c // visiting (-1): the edge closes a cycle and is not counted
		}
		col[n] = visiting
		c := 0
		for _, p := range parents[n] {
			if _, ok := index[p]; ok && p != n {
				c = max(c, depth(p)+1)
			}
		}
		col[n] = c
		return c
	}
	columns := [][]string{}
	for _, n := range nodes {
		c := depth(n)
		for len(columns) <= c {
			columns = append(columns, nil)
		}
		columns[c] = append(columns[c], n)
	}
	pos := make(map[string]Pos, len(nodes))
	for c, column := range columns {
		bary := make(map[string]float64, len(column))
		for _, n := range column {
			sum, k := 0.0, 0
			for _, p := range parents[n] {
				if pp, ok := pos[p]; ok && pp.Col < c {
					sum += float64(pp.Row)
					k++
				}
			}
			bary[n] = float64(len(nodes)) // no placed parent: after those that have one
			if k > 0 {
				bary[n] = sum / float64(k)
			}
		}
		slices.SortStableFunc(column, func(a, b string) int {
			return cmp.Or(cmp.Compare(bary[a], bary[b]), cmp.Compare(index[a], index[b]))
		})
		for r, n := range column {
			pos[n] = Pos{Col: c, Row: r}
		}
	}
	return pos
}
