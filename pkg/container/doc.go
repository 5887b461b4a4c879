// Package container runs one process in a container with runc: it writes an OCI runtime
// spec for a root filesystem (its own mount, PID, IPC, UTS and network namespaces, a
// read-only root, no capabilities, a syscall filter that refuses new namespaces, mounts,
// tracing, kernel modules and keys, bind mounts such as a promotion workspace, memory and CPU
// limits where cgroups allow) and runs it to its end or until its context ends, when the
// container is killed with SIGKILL and deleted.
//
// runc must run as root; Dray's CI installs it (.ci/run). NewRuntime checks `runc --version`
// and fails with ErrRuncMissing when it is not installed.
package container
