// Package gittag implements the git-tag step: it creates an annotated tag at a working
// tree's HEAD, for git-push (with its tag field) to publish.
//
// Example:
//
//	steps:
//	- uses: git-tag
//	  config:
//	    path: out
//	    tag: release-${{ ctx.promotion }}
//	    message: Promoted to ${{ ctx.stage }}
//
// Output: commit, the SHA of HEAD, which the tag points at.
//
// The tagger is the identity git-clone recorded for the working tree (default
// Dray <no-reply@dray.dev>). A tag that already exists is an error (retryable, reason
// TagExists) unless force is set, which moves it to HEAD. Running the step again is safe: an
// annotated tag already at HEAD with the same message is left as it is and the step succeeds.
// An invalid tag name is terminal (reason InvalidTagName).
package gittag
