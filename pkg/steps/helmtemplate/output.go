package helmtemplate

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/release"

	"github.com/drayhq/dray/pkg/steps"
	"github.com/drayhq/dray/pkg/steps/internal/files"
)

// doc is one rendered document and the chart file it came from.
type doc struct {
	source  string // e.g. app/templates/deployment.yaml
	content string
}

// docs returns the documents of rel in helm template's order: the manifest (CRDs first, when
// included), then the hooks unless disabled, test hooks dropped when skipTests.
func docs(rel *release.Release, cfg Config) []doc {
	var out []doc
	for _, part := range strings.Split(rel.Manifest, "---\n# Source: ") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		src, content, _ := strings.Cut(part, "\n")
		out = append(out, doc{source: src, content: strings.TrimSuffix(content, "\n")})
	}
	if cfg.DisableHooks {
		return out
	}
	for _, h := range rel.Hooks {
		if cfg.SkipTests && isTestHook(h) {
			continue
		}
		out = append(out, doc{source: h.Path, content: h.Manifest})
	}
	return out
}

func isTestHook(h *release.Hook) bool {
	for _, e := range h.Events {
		if e == release.HookTest {
			return true
		}
	}
	return false
}

// write writes the rendering to out, a file or a directory, and returns the number of files
// written.
func write(sc *steps.Context, out string, cfg Config, rel *release.Release) (int, error) {
	all := docs(rel, cfg)
	if ext := filepath.Ext(out); ext == ".yaml" || ext == ".yml" {
		var b strings.Builder
		for _, d := range all {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", d.source, d.content)
		}
		if err := files.WriteFile(sc.Dir, out, []byte(b.String()), 0o644); err != nil {
			return 0, files.Error(sc, Name, "config.outPath", "write", cfg.OutPath, err)
		}
		return 1, nil
	}
	var order []string
	byFile := map[string]*strings.Builder{}
	for _, d := range all {
		name, err := fileName(d.source, cfg)
		if err != nil {
			return 0, err
		}
		b, ok := byFile[name]
		if !ok {
			b = &strings.Builder{}
			byFile[name] = b
			order = append(order, name)
		}
		fmt.Fprintf(b, "---\n# Source: %s\n%s\n", d.source, d.content)
	}
	for _, name := range order {
		p := filepath.Join(out, filepath.FromSlash(name))
		if err := files.WriteFile(sc.Dir, p, []byte(byFile[name].String()), 0o644); err != nil {
			return 0, files.Error(sc, Name, "config.outPath", "write", filepath.ToSlash(p), err)
		}
	}
	return len(order), nil
}

// fileName is where the document from source goes below a directory outPath, slash-separated.
func fileName(source string, cfg Config) (string, error) {
	clean := path.Clean(source)
	if !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", fmt.Errorf("template source %q is not a local path", source)
	}
	chartName, rest, ok := strings.Cut(clean, "/")
	if !ok {
		return "", fmt.Errorf("template source %q has no chart directory", source)
	}
	if cfg.OutLayout == LayoutFlat {
		var prefix []string
		for {
			sub, after, ok := strings.Cut(strings.TrimPrefix(rest, "charts/"), "/")
			if !strings.HasPrefix(rest, "charts/") || !ok {
				break
			}
			prefix, rest = append(prefix, sub), after
		}
		for _, top := range []string{"templates/", "crds/"} {
			rest = strings.TrimPrefix(rest, top)
		}
		return strings.ReplaceAll(strings.Join(append(prefix, rest), "/"), "/", "-"), nil
	}
	if cfg.UseReleaseName {
		chartName = cfg.ReleaseName
	}
	return chartName + "/" + rest, nil
}
