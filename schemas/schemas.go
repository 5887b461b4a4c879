package schemas

import (
	"embed"
	"io/fs"
)

//go:embed *.json steps/*.json steps/outputs/*.json
var files embed.FS

// FS returns the schema files: <name>.json for resources and messages, steps/<step>.json for
// step configs and steps/outputs/<step>.json for the outputs each step records.
func FS() fs.FS { return files }

// BaseURL is the prefix of every schema's $id.
const BaseURL = "https://dray.dev/schemas/v1/"
