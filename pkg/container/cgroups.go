package container

import (
	"os"
	"strings"
)

// Cgroups says which resource controllers runc can use on this host.
type Cgroups struct {
	// Version is 1 or 2; 0 when no cgroup filesystem was found.
	Version           int
	Memory, CPU, Pids bool
}

// DetectCgroups looks at /sys/fs/cgroup: the controllers a cgroup v2 hierarchy enables, or
// the v1 hierarchies that are mounted.
func DetectCgroups() Cgroups { return detectCgroups("/sys/fs/cgroup") }

func detectCgroups(root string) Cgroups {
	if b, err := os.ReadFile(root + "/cgroup.controllers"); err == nil {
		fields := strings.Fields(string(b))
		has := func(c string) bool {
			for _, f := range fields {
				if f == c {
					return true
				}
			}
			return false
		}
		return Cgroups{Version: 2, Memory: has("memory"), CPU: has("cpu"), Pids: has("pids")}
	}
	dir := func(c string) bool {
		fi, err := os.Stat(root + "/" + c)
		return err == nil && fi.IsDir()
	}
	cg := Cgroups{Memory: dir("memory"), CPU: dir("cpu"), Pids: dir("pids")}
	if cg.Memory || cg.CPU || cg.Pids {
		cg.Version = 1
	}
	return cg
}

// Missing lists the controllers that are not available, for a log line.
func (c Cgroups) Missing() []string {
	var out []string
	for _, x := range []struct {
		name string
		ok   bool
	}{{"memory", c.Memory}, {"cpu", c.CPU}, {"pids", c.Pids}} {
		if !x.ok {
			out = append(out, x.name)
		}
	}
	return out
}
