package gitrepo

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// maxMergeLines bounds the size of the files merge3 merges, in lines; larger ones conflict.
const maxMergeLines = 100000

// hunk replaces the base lines [start, end) with lines.
type hunk struct {
	start, end int
	lines      []string
}

// merge3 merges the changes base→ours and base→theirs line by line. Changes that overlap or
// touch conflict, unless they are the same change. Binary content never merges.
func merge3(base, ours, theirs []byte) ([]byte, bool) {
	for _, t := range [][]byte{base, ours, theirs} {
		if isBinary(t) || bytes.Count(t, []byte{'\n'}) >= maxMergeLines {
			return nil, false
		}
	}
	baseLines := splitLines(string(base))
	all := append(diffHunks(string(base), string(ours)), diffHunks(string(base), string(theirs))...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })

	var out strings.Builder
	pos := 0
	for i := 0; i < len(all); {
		// A cluster is a run of hunks whose base ranges overlap or touch.
		j, end := i+1, all[i].end
		for j < len(all) && all[j].start <= end {
			end = max(end, all[j].end)
			j++
		}
		cluster := all[i:j]
		h := cluster[0]
		if len(cluster) > 1 && !(len(cluster) == 2 && sameHunk(cluster[0], cluster[1])) {
			return nil, false
		}
		for _, l := range baseLines[pos:h.start] {
			out.WriteString(l)
		}
		for _, l := range h.lines {
			out.WriteString(l)
		}
		pos = h.end
		i = j
	}
	for _, l := range baseLines[pos:] {
		out.WriteString(l)
	}
	return []byte(out.String()), true
}

func sameHunk(x, y hunk) bool {
	if x.start != y.start || x.end != y.end || len(x.lines) != len(y.lines) {
		return false
	}
	for i := range x.lines {
		if x.lines[i] != y.lines[i] {
			return false
		}
	}
	return true
}

// diffHunks returns the line changes from base to other, in order.
func diffHunks(base, other string) []hunk {
	dmp := diffmatchpatch.New()
	r1, r2, _ := dmp.DiffLinesToRunes(base, other)
	otherLines := splitLines(other)
	var hunks []hunk
	var cur *hunk
	pos, opos := 0, 0
	for _, d := range dmp.DiffMainRunes(r1, r2, false) {
		n := utf8.RuneCountInString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			if cur != nil {
				hunks = append(hunks, *cur)
				cur = nil
			}
			pos += n
			opos += n
			continue
		}
		if cur == nil {
			cur = &hunk{start: pos, end: pos}
		}
		if d.Type == diffmatchpatch.DiffDelete {
			pos += n
			cur.end = pos
		} else {
			cur.lines = append(cur.lines, otherLines[opos:opos+n]...)
			opos += n
		}
	}
	if cur != nil {
		hunks = append(hunks, *cur)
	}
	return hunks
}

// splitLines splits s after each newline; the last line may lack one.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
