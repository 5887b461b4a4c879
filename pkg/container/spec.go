package container

import (
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Config is one process to run in a container.
type Config struct {
	// Rootfs is the root filesystem, mounted read-only. Required.
	Rootfs string
	// Args is the argv of the process. Required.
	Args []string
	// Env holds NAME=value pairs.
	Env []string
	// Cwd is the working directory inside the container. Default /.
	Cwd string
	// Mounts are bind mounts of host directories or files.
	Mounts []Mount
	// UID and GID run the process. Default 0 (root inside the container, without
	// capabilities).
	UID, GID uint32
	// Network shares the host's network namespace. Default false: the container gets an
	// empty network namespace of its own, with no interface up.
	Network bool
	// Resources are limits, applied when the host's cgroups allow.
	Resources Resources
	// Hostname inside the container. Default "dray".
	Hostname string
}

// Mount is a bind mount.
type Mount struct {
	// Source is an absolute host path.
	Source string
	// Destination is the absolute path inside the container.
	Destination string
	ReadOnly    bool
}

// Resources are a container's limits. Zero means no limit.
type Resources struct {
	// MemoryBytes bounds memory use; the kernel kills the process past it.
	MemoryBytes int64
	// MilliCPU bounds CPU time, in thousandths of a core (500 = half a core).
	MilliCPU int64
	// Pids bounds the number of processes.
	Pids int64
}

// cpuPeriod is the CFS period CPU quotas are expressed in, in microseconds.
const cpuPeriod = 100_000

// Spec returns the OCI runtime spec of c, with limits only for the cgroup controllers
// that cg says are available.
func Spec(c Config, cg Cgroups) (*specs.Spec, error) {
	if c.Rootfs == "" || len(c.Args) == 0 {
		return nil, fmt.Errorf("container config needs a rootfs and args")
	}
	cwd := c.Cwd
	if cwd == "" {
		cwd = "/"
	}
	host := c.Hostname
	if host == "" {
		host = "dray"
	}
	namespaces := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.MountNamespace},
	}
	if !c.Network {
		namespaces = append(namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: c.Rootfs, Readonly: true},
		Hostname: host,
		Process: &specs.Process{
			User:            specs.User{UID: c.UID, GID: c.GID},
			Args:            c.Args,
			Env:             c.Env,
			Cwd:             cwd,
			NoNewPrivileges: true,
			// Every set empty: the process has no capability, whatever its UID.
			Capabilities: &specs.LinuxCapabilities{},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Mounts: defaultMounts(c.Network),
		Linux: &specs.Linux{
			Namespaces: namespaces,
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
				"/proc/scsi", "/sys/devices/virtual/powercap",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
			Seccomp: seccomp(),
		},
	}
	for _, m := range c.Mounts {
		opts := []string{"rbind", "nosuid", "nodev", "rw"}
		if m.ReadOnly {
			opts[3] = "ro"
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: opts})
	}
	r := s.Linux.Resources
	if c.Resources.MemoryBytes > 0 && cg.Memory {
		r.Memory = &specs.LinuxMemory{Limit: ptr(c.Resources.MemoryBytes)}
	}
	if c.Resources.MilliCPU > 0 && cg.CPU {
		r.CPU = &specs.LinuxCPU{Quota: ptr(c.Resources.MilliCPU * cpuPeriod / 1000), Period: ptr(uint64(cpuPeriod))}
	}
	if c.Resources.Pids > 0 && cg.Pids {
		r.Pids = &specs.LinuxPids{Limit: c.Resources.Pids}
	}
	return s, nil
}

// defaultMounts are the kernel filesystems every container gets: its own /proc, a /dev with
// runc's default devices only, a read-only /sys, and a small writable /tmp since the root is
// read-only. With the host network, the host's DNS config is mounted read-only too.
func defaultMounts(network bool) []specs.Mount {
	m := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}},
	}
	if network {
		for _, f := range []string{"/etc/resolv.conf", "/etc/hosts"} {
			m = append(m, specs.Mount{Destination: f, Type: "bind", Source: f, Options: []string{"rbind", "nosuid", "nodev", "noexec", "ro"}})
		}
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// deniedSyscalls fail with EPERM in every container: a promotion step needs none of them, and
// each widens what a step could reach of the kernel. New namespaces first — in a user
// namespace of its own the process would hold every capability again — then mounts, tracing
// and reading other processes, loading code or keys into the kernel, and the clock.
var deniedSyscalls = []string{
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "perf_event_open", "userfaultfd",
	"bpf", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"keyctl", "add_key", "request_key", "open_by_handle_at", "name_to_handle_at",
	"reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "lookup_dcookie", "vhangup",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm",
}

// newNamespaceFlags are the clone flags that make new namespaces.
var newNamespaceFlags = []uint64{
	syscall.CLONE_NEWNS, syscall.CLONE_NEWCGROUP, syscall.CLONE_NEWUTS, syscall.CLONE_NEWIPC,
	syscall.CLONE_NEWUSER, syscall.CLONE_NEWPID, syscall.CLONE_NEWNET,
}

// seccomp is every container's syscall filter: everything is allowed but deniedSyscalls, and
// clone with any new-namespace flag (one rule per flag: a filter can test that bits are set,
// not that some are). clone3 answers ENOSYS, since its flags cannot be filtered: C libraries
// then fall back to clone.
func seccomp() *specs.LinuxSeccomp {
	eperm := ptr(uint(syscall.EPERM))
	rules := []specs.LinuxSyscall{
		{Names: deniedSyscalls, Action: specs.ActErrno, ErrnoRet: eperm},
		{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: ptr(uint(syscall.ENOSYS))},
	}
	for _, f := range newNamespaceFlags {
		rules = append(rules, specs.LinuxSyscall{Names: []string{"clone"}, Action: specs.ActErrno, ErrnoRet: eperm,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: f, ValueTwo: f, Op: specs.OpMaskedEqual}}})
	}
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64, specs.ArchARM},
		Syscalls:      rules,
	}
}
