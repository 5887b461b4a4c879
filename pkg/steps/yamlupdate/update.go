package yamlupdate

import (
	"github.com/drayhq/dray/pkg/steps/internal/updates"
	"github.com/drayhq/dray/pkg/steps/internal/yamledit"
)

// Errors Apply returns for a key it cannot set; test for them with errors.Is.
var (
	// ErrKeyNotFound means the key path leads nowhere in the first document: a key is
	// missing, a list index is not a number or is past the end of the list.
	ErrKeyNotFound = yamledit.ErrKeyNotFound
	// ErrNotScalar means the key path ends at a map, a list or an alias.
	ErrNotScalar = yamledit.ErrNotScalar
)

// MaxLineLength is the longest line, in bytes without its line ending, that Apply handles.
const MaxLineLength = yamledit.MaxLineLength

// Apply returns in with updates applied, line by line, as the yaml-update step does (see the
// package documentation). Keys must be valid key paths. It returns an error wrapping
// ErrKeyNotFound or ErrNotScalar that names the key, or a parse error.
func Apply(in []byte, updates []Update) ([]byte, error) { return yamledit.Apply(in, updates) }

// FormatValue renders v as yaml-update writes it: strings that parse as a number or a boolean,
// or that are valid JSON, in double quotes; other strings as they are; anything else with %v.
func FormatValue(v any) string { return yamledit.FormatValue(v) }

// commitMessage is the step's commitMessage output (updates.CommitMessage).
func commitMessage(path string, list []Update) string {
	return updates.CommitMessage(path, list, FormatValue)
}
