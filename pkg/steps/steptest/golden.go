package steptest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/drayhq/dray/pkg/steps"
)

// Update is the -update flag: Golden rewrites the want/ sections of testdata/*.txtar from
// actual results. A test package that keeps golden files of its own reads this flag, since
// a second -update in the same test binary would panic.
var Update = flag.Bool("update", false, "rewrite the want/ sections of testdata/*.txtar from actual results")

// Golden runs every testdata/<case>.txtar against s. A case holds config.yaml (the step
// config), the workspace files, and the expected results:
//
//   - want/outcome: status, reason and message, as Outcome renders them;
//   - want/commitMessage: the commitMessage output, when there is one;
//   - want/outputs.json: the other outputs, when there are any;
//   - want/<file>: every file the step changes or creates (a file with no want/<file> must be
//     left as it was);
//   - want/removed: the input files the step removes, one a line.
//
// Every case runs through Run, so the schema is checked first, as the executors do. With
// -update, the want/ sections are rewritten from what the step did.
func Golden(t *testing.T, s steps.Step) {
	t.Helper()
	cases, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(cases) == 0 {
		t.Fatalf("Glob(testdata/*.txtar) = %v, %v, want cases", cases, err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ar := parseArchive(data)
			var cfg map[string]any
			if err := yaml.Unmarshal(ar.get("config.yaml"), &cfg); err != nil {
				t.Fatalf("%s: config.yaml: %v", file, err)
			}
			inputs := map[string][]byte{}
			for _, f := range ar.files {
				if f.name != "config.yaml" && !strings.HasPrefix(f.name, "want/") {
					inputs[f.name] = f.data
				}
			}
			sc := NewContext(t, cfg, inputs)

			res, err := Run(t, s, sc)

			got := map[string][]byte{"want/outcome": []byte(Outcome(res, err))}
			outputs := map[string]any{}
			for k, v := range res.Outputs {
				if msg, ok := v.(string); ok && k == "commitMessage" {
					got["want/commitMessage"] = []byte(msg + "\n")
					continue
				}
				outputs[k] = v
			}
			if len(outputs) > 0 {
				b, err := json.MarshalIndent(outputs, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got["want/outputs.json"] = append(b, '\n')
			}
			after := Snapshot(t, sc.WorkDir)
			var removed []string
			for name, in := range inputs {
				out, ok := after[name]
				switch {
				case !ok:
					removed = append(removed, name)
				case out != string(in):
					got["want/"+name] = []byte(out)
				}
			}
			for name, out := range after {
				if _, ok := inputs[name]; !ok {
					got["want/"+name] = []byte(out)
				}
			}
			if len(removed) > 0 {
				sort.Strings(removed)
				got["want/removed"] = []byte(strings.Join(removed, "\n") + "\n")
			}
			if *Update {
				ar.setWant(got)
				if err := os.WriteFile(file, ar.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string]string{}
			for _, f := range ar.files {
				if strings.HasPrefix(f.name, "want/") {
					want[f.name] = string(f.data)
				}
			}
			gotS := map[string]string{}
			for k, v := range got {
				gotS[k] = string(v)
			}
			if diff := cmp.Diff(want, gotS); diff != "" {
				t.Errorf("Run(%s) mismatch (-want +got):\n%s", file, diff)
			}
		})
	}
}

// archive is a txtar file: a comment, then files each introduced by a "-- name --" line.
type archive struct {
	comment []byte
	files   []archiveFile
}

type archiveFile struct {
	name string
	data []byte
}

func parseArchive(data []byte) *archive {
	ar := &archive{}
	cur := -1
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if name, ok := marker(string(bytes.TrimSuffix(line, []byte("\n")))); ok {
			ar.files = append(ar.files, archiveFile{name: name})
			cur = len(ar.files) - 1
			continue
		}
		if cur < 0 {
			ar.comment = append(ar.comment, line...)
		} else {
			ar.files[cur].data = append(ar.files[cur].data, line...)
		}
	}
	return ar
}

func marker(s string) (string, bool) {
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < 7 {
		return "", false
	}
	return strings.TrimSpace(s[3 : len(s)-3]), true
}

func (ar *archive) get(name string) []byte {
	for _, f := range ar.files {
		if f.name == name {
			return f.data
		}
	}
	return nil
}

// setWant replaces every want/ file with want: changed files first, then outputs, then the
// outcome.
func (ar *archive) setWant(want map[string][]byte) {
	var kept []archiveFile
	for _, f := range ar.files {
		if !strings.HasPrefix(f.name, "want/") {
			kept = append(kept, f)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	order := func(n string) string {
		switch n {
		case "want/removed":
			return "\xff0"
		case "want/outputs.json":
			return "\xff1"
		case "want/commitMessage":
			return "\xff2"
		case "want/outcome":
			return "\xff3"
		}
		return n
	}
	sort.Slice(names, func(i, j int) bool { return order(names[i]) < order(names[j]) })
	for _, n := range names {
		kept = append(kept, archiveFile{name: n, data: want[n]})
	}
	ar.files = kept
}

func (ar *archive) format() []byte {
	var b bytes.Buffer
	b.Write(ar.comment)
	for _, f := range ar.files {
		b.WriteString("-- " + f.name + " --\n")
		b.Write(f.data)
		if len(f.data) > 0 && f.data[len(f.data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
