package v1

import "strings"

// FieldError says which field of which resource in which file is wrong, and why.
type FieldError struct {
	// File is the manifest file, if the resource came from one.
	File string `json:"file,omitempty"`
	// Resource is Kind/name (or Kind #n when the name is missing).
	Resource string `json:"resource,omitempty"`
	// Path is the field path, e.g. spec.promotionTemplate.spec.steps[0].uses.
	Path string `json:"path,omitempty"`
	// Msg says what is wrong and, where it can, what to do.
	Msg string `json:"message"`
}

func (e *FieldError) Error() string {
	var parts []string
	for _, p := range []string{e.File, e.Resource, e.Path} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	parts = append(parts, e.Msg)
	return strings.Join(parts, ": ")
}
