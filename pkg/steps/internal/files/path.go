package files

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/drayhq/dray/pkg/steps"
)

// Invalid returns the terminal error of a config that passed the schema but is still wrong,
// e.g. a bad key path. It wraps steps.ErrInvalidConfig and names the step alias; err names
// the field.
func Invalid(sc *steps.Context, step string, err error) error {
	return steps.Terminal(fmt.Errorf("step %q (%s): %w: %w", sc.Alias, step, steps.ErrInvalidConfig, err))
}

// Local cleans p, the value of config field field (e.g. "config.path"), and returns it as a
// path relative to the workspace, for sc.Dir. An absolute path or one that climbs out with
// ".." is a terminal error wrapping steps.ErrPathEscape. "." (the workspace itself) is allowed.
func Local(sc *steps.Context, step, field, p string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(strings.TrimSpace(p)))
	if !filepath.IsLocal(clean) && clean != "." {
		return "", Escape(sc, step, field, p)
	}
	return clean, nil
}

// Escape returns the terminal error of a path, given in config field field, that leads
// outside the workspace. It wraps steps.ErrPathEscape.
func Escape(sc *steps.Context, step, field, p string) error {
	return steps.Terminal(fmt.Errorf("step %q (%s): %s: %w: %q", sc.Alias, step, field, steps.ErrPathEscape, p))
}

// IsEscape reports whether err is, or wraps, os.Root refusing a path that leads outside it,
// through ".." or a symlink.
func IsEscape(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		// os.Root does not export its error; its text is stable.
		if err.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}

// Error classifies err, returned by sc.Dir while doing op ("read", "write", …) on p, the
// value of config field field: a path that leads outside the workspace is terminal and wraps
// steps.ErrPathEscape; a missing file says so; anything else is retryable.
func Error(sc *steps.Context, step, field, op, p string, err error) error {
	switch {
	case IsEscape(err):
		return Escape(sc, step, field, p)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: %w: no such file or directory in the workspace", op, p, fs.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, p, err)
}
