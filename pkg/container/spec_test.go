package container_test

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/drayhq/dray/pkg/container"
)

func TestSpec(t *testing.T) {
	all := container.Cgroups{Version: 2, Memory: true, CPU: true, Pids: true}
	base := container.Config{Rootfs: "/r", Args: []string{"true"}, UID: 65532, GID: 65532,
		Resources: container.Resources{MemoryBytes: 64 << 20, MilliCPU: 500, Pids: 100}}
	tests := []struct {
		name        string
		network     bool
		cg          container.Cgroups
		wantNetNS   bool
		wantLimits  bool
		wantResolvC bool
	}{
		{name: "isolated, with cgroups", cg: all, wantNetNS: true, wantLimits: true},
		{name: "host network", network: true, cg: all, wantLimits: true, wantResolvC: true},
		{name: "no cgroups: no limits", cg: container.Cgroups{}, wantNetNS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Network = tt.network
			s, err := container.Spec(c, tt.cg)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Root.Readonly || !s.Process.NoNewPrivileges || len(s.Process.Capabilities.Bounding) != 0 {
				t.Errorf("Spec: readonly root %v, no new privileges %v, capabilities %v; want true, true, none",
					s.Root.Readonly, s.Process.NoNewPrivileges, s.Process.Capabilities.Bounding)
			}
			var ns []specs.LinuxNamespaceType
			for _, n := range s.Linux.Namespaces {
				ns = append(ns, n.Type)
			}
			for _, want := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace} {
				if !slices.Contains(ns, want) {
					t.Errorf("namespaces %v lack %s", ns, want)
				}
			}
			if got := slices.Contains(ns, specs.NetworkNamespace); got != tt.wantNetNS {
				t.Errorf("own network namespace = %v, want %v", got, tt.wantNetNS)
			}
			r := s.Linux.Resources
			if got := r.Memory != nil && r.CPU != nil && r.Pids != nil; got != tt.wantLimits {
				t.Errorf("limits set = %v, want %v", got, tt.wantLimits)
			}
			if tt.wantLimits && (*r.Memory.Limit != 64<<20 || *r.CPU.Quota != 50_000 || *r.CPU.Period != 100_000) {
				t.Errorf("limits = memory %d, cpu %d/%d; want 64Mi, 50000/100000", *r.Memory.Limit, *r.CPU.Quota, *r.CPU.Period)
			}
			hasResolv := slices.ContainsFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/etc/resolv.conf" })
			if hasResolv != tt.wantResolvC {
				t.Errorf("/etc/resolv.conf mounted = %v, want %v", hasResolv, tt.wantResolvC)
			}
		})
	}
}
