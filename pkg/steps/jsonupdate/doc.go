// Package jsonupdate implements the json-update step: it sets values in a JSON file by key
// path, editing the raw text with github.com/tidwall/sjson so that the rest of the file keeps
// its formatting.
//
// Example:
//
//	steps:
//	- uses: json-update
//	  config:
//	    path: ./src/config/prod.json
//	    updates:
//	    - key: image.tag
//	      value: ${{ imageFrom("ghcr.io/example/app").Tag }}
//	    - key: replicas
//	      value: 3
//
// Keys are key paths (`\.` escapes a dot; empty parts are a config error) read with sjson
// semantics: a missing key, and any missing intermediate object, is created; list.-1 appends
// to a list; an index past the end pads the list with nulls. Values must be strings, numbers
// or booleans (null, objects and lists are a config error). The file must be valid JSON.
// Keys that are created are written in compact form where sjson puts them (the end of their
// object); the file keeps its final newline.
//
// The step outputs commitMessage, "Updated <path>\n" followed by "\n- <key>: <value>" per
// update, strings in double quotes.
package jsonupdate
