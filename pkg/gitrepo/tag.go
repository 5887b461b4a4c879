package gitrepo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Sentinel errors of Tag. Test for them with errors.Is.
var (
	// ErrTagExists means the tag exists, at another commit or with another message, and was
	// not to be moved.
	ErrTagExists = errors.New("tag already exists")
	// ErrInvalidTagName means a tag name is not a valid Git reference name.
	ErrInvalidTagName = errors.New("invalid tag name")
)

// Tag creates the annotated tag name at HEAD with message, tagged by the working tree's
// identity (Author), and returns the SHA of HEAD.
//
// A tag that already exists is moved to HEAD when force is set, and is otherwise an error
// wrapping ErrTagExists; except that an annotated tag already at HEAD with the same message
// is left as it is, so that Tag may be repeated. A name git would not accept wraps
// ErrInvalidTagName.
func (r *Repo) Tag(name, message string, force bool) (string, error) {
	ref := plumbing.NewTagReferenceName(name)
	if name == "" || ref.Validate() != nil {
		return "", fmt.Errorf("tag %q: %w", name, ErrInvalidTagName)
	}
	head, err := r.Head()
	if err != nil {
		return "", err
	}
	// go-git records the message trimmed and ending in one newline; compare it so.
	message = strings.TrimSpace(message) + "\n"
	existing, err := r.repo.Reference(ref, false)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
	case err != nil:
		return "", fmt.Errorf("tag %s in %s: %w", name, r.dir, err)
	case !force:
		if t, err := r.repo.TagObject(existing.Hash()); err == nil && t.Target.String() == head && t.Message == message {
			return head, nil
		}
		return "", fmt.Errorf("tag %s in %s: %w (set force to move it)", name, r.dir, ErrTagExists)
	default:
		if err := r.repo.DeleteTag(name); err != nil {
			return "", fmt.Errorf("move tag %s in %s: %w", name, r.dir, err)
		}
	}
	who, err := r.Author()
	if err != nil {
		return "", err
	}
	_, err = r.repo.CreateTag(name, plumbing.NewHash(head), &git.CreateTagOptions{
		Tagger:  &object.Signature{Name: who.Name, Email: who.Email, When: time.Now()},
		Message: message,
	})
	if err != nil {
		return "", fmt.Errorf("tag %s in %s: %w", name, r.dir, err)
	}
	return head, nil
}
