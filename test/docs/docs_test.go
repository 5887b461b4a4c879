package docs

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// root is the repository, from this package's directory.
const root = "../.."

// outside matches a citation of the specification and design files that live outside the
// repository, by name or by their section sign.
var outside = regexp.MustCompile(`\b(RESOURCES|STEPS|EXPRESSIONS|DESIGN)\.md\b|\x{00a7}`)

// TestNoCitationsOutsideTheRepository fails when a file of the repository cites a document
// that is not in it: users and contributors have only the repository. Cite docs/ instead.
func TestNoCitationsOutsideTheRepository(t *testing.T) {
	n := 0
	walk(t, func(rel string, text []byte) {
		n++
		for i, line := range bytes.Split(text, []byte("\n")) {
			if m := outside.Find(line); m != nil {
				t.Errorf("%s:%d cites %q, which is not in the repository: cite the matching page of docs/ instead", rel, i+1, m)
			}
		}
	})
	if n < 100 {
		t.Fatalf("walked %d files, want the whole repository", n)
	}
}

// cited matches a path into docs/ with an optional heading, as prose cites it (after a
// space, a parenthesis or a bracket, not inside a string): docs/resources.md#the-queue.
var cited = regexp.MustCompile(`(?:^|[\s(\[])docs/([a-z0-9/_-]+\.md)(#[a-z0-9_-]+)?`)

// fixtures are files whose docs/… paths name files of test repositories, not Dray's docs.
var fixtures = map[string]bool{"pkg/discovery/gitdisc/discover_test.go": true}

// TestCitedDocsExist checks every docs/<page>.md#<heading> named anywhere in the repository:
// the page exists and, when a heading is named, has it.
func TestCitedDocsExist(t *testing.T) {
	anchors := map[string]map[string]bool{}
	walk(t, func(rel string, text []byte) {
		if fixtures[rel] {
			return
		}
		for i, line := range bytes.Split(text, []byte("\n")) {
			for _, m := range cited.FindAllSubmatch(line, -1) {
				page, anchor := "docs/"+string(m[1]), strings.TrimPrefix(string(m[2]), "#")
				if !pageHas(t, anchors, page, anchor) {
					t.Errorf("%s:%d cites %s, which does not exist", rel, i+1, bytes.TrimSpace(bytes.TrimLeft(m[0], "([")))
				}
			}
		}
	})
}

// link matches a relative Markdown link: [text](target), target without a scheme.
var link = regexp.MustCompile(`\]\(([^)\s:]*)\)`)

// TestDocsLinks checks the links of every page in docs/: each relative target exists, and
// each heading it names is there.
func TestDocsLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	walk(t, func(rel string, text []byte) {
		if !strings.HasPrefix(rel, "docs/") || !strings.HasSuffix(rel, ".md") {
			return
		}
		for _, m := range link.FindAllSubmatch(text, -1) {
			target, anchor, _ := strings.Cut(string(m[1]), "#")
			page := rel
			if target != "" {
				page = path.Clean(path.Join(path.Dir(rel), target))
			}
			if _, err := os.Stat(filepath.Join(root, page)); err != nil {
				t.Errorf("%s links to %s, which does not exist", rel, m[1])
				continue
			}
			if anchor != "" && strings.HasSuffix(page, ".md") && !pageHas(t, anchors, page, anchor) {
				t.Errorf("%s links to %s, whose heading #%s does not exist", rel, page, anchor)
			}
		}
	})
}

// walk calls f with every text file of the repository, by its slash-separated path.
func walk(t *testing.T, f func(rel string, text []byte)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".dray", "bin", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 4<<20 {
			return err
		}
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.IndexByte(text, 0) >= 0 {
			return nil // binary
		}
		f(rel, text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pageHas reports whether the Markdown page (slash path from the root) exists and, when
// anchor is not empty, has a heading or an <a id> of that name.
func pageHas(t *testing.T, cache map[string]map[string]bool, page, anchor string) bool {
	t.Helper()
	as, ok := cache[page]
	if !ok {
		text, err := os.ReadFile(filepath.Join(root, page))
		if err == nil {
			as = headings(string(text))
		}
		cache[page] = as
	}
	return as != nil && (anchor == "" || as[anchor])
}

var (
	heading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	idTag   = regexp.MustCompile(`<a id="([^"]+)">`)
	unslug  = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// headings returns the anchors of a Markdown page as GitHub makes them: each heading lower-
// cased, without punctuation, spaces turned into dashes; repeated ones get -1, -2, ….
func headings(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := strings.ReplaceAll(unslug.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	for _, m := range idTag.FindAllStringSubmatch(text, -1) {
		out[m[1]] = true
	}
	return out
}
