package yamlupdate

import (
	"github.com/drayhq/dray/pkg/steps/internal/updates"
	"github.com/drayhq/dray/pkg/steps/internal/yamledit"
)

// Errors Apply returns; test for them with errors.Is. The wording follows Kargo's, so that a
// search for Kargo's message finds Dray's too.
var (
	// ErrKeyNotFound means the key path leads nowhere in the first document: a key is
	// missing, a list index is not a number or is past the end of the list.
	ErrKeyNotFound = yamledit.ErrKeyNotFound
	// ErrNotScalar means the key path ends at a map, a list or an alias.
	ErrNotScalar = yamledit.ErrNotScalar
	// ErrParse means the file is not YAML.
	ErrParse = yamledit.ErrParse
	// ErrNotVerified means the edited text would not read back as the values asked for, with
	// everything else unchanged; nothing is written then.
	ErrNotVerified = yamledit.ErrNotVerified
)

// MaxLineLength is the longest line, in bytes without its line ending, that Apply handles.
const MaxLineLength = yamledit.MaxLineLength

// Apply returns in with updates applied as the yaml-update step does (see the package
// documentation): only the text of each addressed scalar is replaced. Keys must be valid key
// paths. It returns an error wrapping ErrKeyNotFound or ErrNotScalar that names the key,
// ErrParse, or ErrNotVerified when the result would not read back as asked.
func Apply(in []byte, updates []Update) ([]byte, error) { return yamledit.Apply(in, updates) }

// FormatValue renders v as yaml-update writes it: a string that would not read back as itself
// (a number, a boolean, YAML 1.1 words, `: `, ` #` …) in double quotes; other strings as they
// are; anything else with %v.
func FormatValue(v any) string { return yamledit.FormatValue(v) }

// commitMessage is the step's commitMessage output (updates.CommitMessage).
func commitMessage(path string, list []Update) string {
	return updates.CommitMessage(path, list, FormatValue)
}
