// Package examples embeds the example pipelines, so dray up --demo can apply them.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed guestbook/*.yaml
var files embed.FS

// Guestbook returns the guestbook demo pipeline: a Project and its ProjectConfig, a Warehouse
// subscribed to the tags of an application repository, and three Stages, dev → staging →
// prod, that write the tag into a configuration repository; prod waits for an approval.
func Guestbook() fs.FS {
	sub, _ := fs.Sub(files, "guestbook")
	return sub
}

// GuestbookGitURL is the repository URL the guestbook Stage uses; dray up --demo serves it and
// rewrites the address when the gateway listens elsewhere.
const GuestbookGitURL = "http://127.0.0.1:8080/git/guestbook-config.git"
