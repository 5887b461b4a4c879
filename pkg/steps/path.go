package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecurePath joins rel onto root and proves the result stays inside root, following symlinks
// that exist. It returns ErrPathEscape for absolute paths, paths that climb out with "..", and
// symlinks that lead outside.
func SecurePath(root, rel string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(strings.TrimSpace(rel)))
	if filepath.IsAbs(clean) || !filepath.IsLocal(clean) && clean != "." {
		return "", fmt.Errorf("%w: %q", ErrPathEscape, rel)
	}
	full := filepath.Join(root, clean)
	// Resolve the longest existing prefix, so a symlink anywhere on the way is followed.
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolve workspace: %w", err)
	}
	existing, rest := full, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", rel, err)
	}
	inside, err := filepath.Rel(realRoot, real)
	if err != nil || !filepath.IsLocal(inside) && inside != "." {
		return "", fmt.Errorf("%w: %q", ErrPathEscape, rel)
	}
	return filepath.Join(real, rest), nil
}
