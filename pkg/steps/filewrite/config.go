package filewrite

import (
	"fmt"
	"io/fs"
	"strconv"
)

// Config is the config of file-write, as described by schemas/steps/file-write.json.
type Config struct {
	// Path is the file to write, relative to the workspace.
	Path string `json:"path"`
	// Contents is the whole new content; it may be empty.
	Contents string `json:"contents"`
	// Permissions is the file mode in octal, e.g. 0644. Default 0600.
	Permissions string `json:"permissions,omitempty"`
	// Overwrite replaces an existing file. Default false: an existing file is an error.
	Overwrite bool `json:"overwrite,omitempty"`
}

// Mode returns the file mode Permissions names (0600 when empty), or an error naming the
// field when it has execute bits, is world-writable or is not three octal digits after a 0.
func (c *Config) Mode() (fs.FileMode, error) {
	if c.Permissions == "" {
		return 0o600, nil
	}
	n, err := strconv.ParseUint(c.Permissions, 8, 32)
	if err != nil || len(c.Permissions) != 4 || c.Permissions[0] != '0' {
		return 0, fmt.Errorf("config.permissions: %q is not an octal mode like 0644", c.Permissions)
	}
	m := fs.FileMode(n)
	switch {
	case m&0o111 != 0:
		return 0, fmt.Errorf("config.permissions: %s sets execute bits, which file-write does not allow", c.Permissions)
	case m&0o002 != 0:
		return 0, fmt.Errorf("config.permissions: %s makes the file world-writable, which file-write does not allow", c.Permissions)
	}
	return m, nil
}
