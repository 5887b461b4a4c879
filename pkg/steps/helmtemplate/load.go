package helmtemplate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// LoadChart loads the chart in dir (slash-separated, relative to root) through root, as
// Helm's loader.LoadDir does (honouring .helmignore), but without leaving root: a symlink is
// followed only while it stays inside.
func LoadChart(root *os.Root, dir string) (*chart.Chart, error) {
	fsys := root.FS()
	dir = filepath.ToSlash(dir)
	if fi, err := fs.Stat(fsys, dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a chart directory", dir)
	}
	rules := ignore.Empty()
	if data, err := fs.ReadFile(fsys, path.Join(dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	err := fs.WalkDir(fsys, dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		n := strings.TrimPrefix(strings.TrimPrefix(name, dir), "/")
		if n == "" {
			return nil
		}
		fi, err := fs.Stat(fsys, name) // follows a symlink, inside root only
		if err != nil {
			return fmt.Errorf("load %s: %w", n, err)
		}
		if d.IsDir() {
			if rules.Ignore(n, fi) {
				return fs.SkipDir
			}
			return nil
		}
		if rules.Ignore(n, fi) {
			return nil
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot load %s: not a regular file", n)
		}
		if fi.Size() > loader.MaxDecompressedFileSize {
			return fmt.Errorf("cannot load %s: larger than %d bytes", n, loader.MaxDecompressedFileSize)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: n, Data: bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}

// mergeValues merges b into a, as helm merges values files: maps recursively, anything else
// replaced.
func mergeValues(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
