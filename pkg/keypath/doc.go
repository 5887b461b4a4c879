// Package keypath parses the dot-separated key paths that yaml-update, json-update and
// toml-update take, e.g. image.tag, containers.0.image or example\.com/version.
//
// Syntax (docs/steps/README.md#key-paths): parts are separated by dots; `\.` is a literal dot
// and `\:` a literal colon, and any other backslash escape is an error. A part that starts with
// an unescaped `:` is always an object key, even when it looks like a list index (`a.:0` is the
// key "0" of a); an unescaped `:` anywhere else is an error. Empty parts (`a..b`, a leading or
// trailing dot) are errors. Whitespace around the whole path is trimmed. A key holding a
// backslash cannot be addressed.
package keypath
