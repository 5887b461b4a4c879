package container_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drayhq/dray/pkg/container"
	"github.com/drayhq/dray/pkg/container/containertest"
	"github.com/drayhq/dray/pkg/imagecache"
)

// busybox returns a runtime and the rootfs of the busybox test image. runc and busybox are
// installed by .ci/run; without them the test fails, naming what is missing.
func busybox(t *testing.T) (*container.Runtime, string) {
	t.Helper()
	rt, err := container.NewRuntime(t.Context(), slog.New(slog.NewTextHandler(io.Discard, nil)), container.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("NewRuntime = %v", err)
	}
	reg := containertest.NewRegistry(t)
	ref := reg.Push(t, "busybox", "1", containertest.BusyboxImage(t))
	c, err := imagecache.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Get(t.Context(), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt, img.Rootfs
}

func TestRun(t *testing.T) {
	rt, rootfs := busybox(t)
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "in.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(work, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	script := `set -e
echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) greeting=$GREETING"
cat in.txt
echo written > out.txt
if touch /rootfs-write 2>/dev/null; then echo "root is writable"; exit 9; fi
echo to-stderr >&2
ls /sys/class/net
exit 3`
	stdout, stderr := container.NewTail(1<<16), container.NewTail(1<<16)
	exit, err := rt.Run(t.Context(), container.Config{
		Rootfs: rootfs, Args: []string{"sh", "-c", script}, Env: []string{"PATH=/bin", "GREETING=hi"},
		Cwd: "/workspace", UID: 65532, GID: 65532,
		Mounts: []container.Mount{{Source: work, Destination: "/workspace"}},
	}, stdout, stderr)
	if err != nil {
		t.Fatalf("Run = %v; stderr: %s", err, stderr.Bytes())
	}
	if exit.Code != 3 || exit.Killed {
		t.Errorf("Run = %+v, want exit code 3, not killed; stdout: %s; stderr: %s", exit, stdout.Bytes(), stderr.Bytes())
	}
	want := "uid=65532 gid=65532 cwd=/workspace greeting=hi\nfrom the host\nlo\n"
	if got := string(stdout.Bytes()); got != want {
		t.Errorf("stdout = %q, want %q (an own network namespace holds only lo)", got, want)
	}
	if got := string(stderr.Bytes()); got != "to-stderr\n" {
		t.Errorf("stderr = %q, want %q", got, "to-stderr\n")
	}
	if b, err := os.ReadFile(filepath.Join(work, "out.txt")); err != nil || string(b) != "written\n" {
		t.Errorf("out.txt = %q, %v; want the container's write in the workspace", b, err)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "rootfs-write")); err == nil {
		t.Errorf("the container wrote into the shared rootfs")
	}
}

func TestRunHostNetwork(t *testing.T) {
	rt, rootfs := busybox(t)
	stdout, stderr := container.NewTail(1<<16), container.NewTail(1<<16)
	_, err := rt.Run(t.Context(), container.Config{
		Rootfs: rootfs, Args: []string{"ls", "/sys/class/net"}, Env: []string{"PATH=/bin"}, Network: true,
	}, stdout, stderr)
	if err != nil {
		t.Fatal(err)
	}
	host, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(stdout.Bytes())); len(got) != len(host) {
		t.Errorf("interfaces with Network = %q, want the host's %d; stderr: %s", got, len(host), stderr.Bytes())
	}
}

func TestRunKilledWhenContextEnds(t *testing.T) {
	rt, rootfs := busybox(t)
	ctx, cancel := context.WithCancel(t.Context())
	stdout := container.NewTail(1 << 10)
	done := make(chan struct{})
	var exit container.Exit
	var err error
	go func() {
		defer close(done)
		exit, err = rt.Run(ctx, container.Config{Rootfs: rootfs, Args: []string{"sh", "-c", "echo started; exec sleep 600"}, Env: []string{"PATH=/bin"}}, stdout, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(string(stdout.Bytes()), "started") {
		select {
		case <-done:
			t.Fatalf("Run = %+v, %v before the container started", exit, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the container did not start within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if err != nil || !exit.Killed || exit.Code != 137 {
		t.Errorf("Run = %+v, %v; want killed with exit code 137", exit, err)
	}
	if entries, _ := os.ReadDir(rt.StateDir()); countContainers(entries) != 0 {
		t.Errorf("runc state left behind: %v", entries)
	}
}

func TestRunMemoryLimit(t *testing.T) {
	rt, rootfs := busybox(t)
	if !rt.Cgroups().Memory {
		t.Fatalf("no memory cgroup on this host (cgroups %+v)", rt.Cgroups())
	}
	// 64 MiB in a shell variable, under a 16 MiB limit: the kernel kills the shell.
	script := `x=$(head -c 67108864 /dev/zero | tr '\0' a); echo survived ${#x}`
	stdout := container.NewTail(1 << 10)
	exit, err := rt.Run(t.Context(), container.Config{
		Rootfs: rootfs, Args: []string{"sh", "-c", script}, Env: []string{"PATH=/bin"}, Resources: container.Resources{MemoryBytes: 16 << 20},
	}, stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Code == 0 || strings.Contains(string(stdout.Bytes()), "survived") {
		t.Errorf("Run over its memory limit = %+v, stdout %q; want it killed", exit, stdout.Bytes())
	}
}

func countContainers(entries []os.DirEntry) int {
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "dray-") {
			n++
		}
	}
	return n
}

// TestRunSyscallFilter: a container cannot make namespaces of its own (a user namespace would
// give it every capability there) nor trace or mount, while ordinary programs run.
func TestRunSyscallFilter(t *testing.T) {
	rt, rootfs := busybox(t)
	script := `for ns in -U -n -m -p; do unshare $ns true 2>/dev/null && echo "unshare $ns worked"; done
sh -c 'echo child ran' &
wait
echo done`
	stdout, stderr := container.NewTail(1<<16), container.NewTail(1<<16)
	exit, err := rt.Run(t.Context(), container.Config{
		Rootfs: rootfs, Args: []string{"sh", "-c", script}, Env: []string{"PATH=/bin"}, UID: 65532, GID: 65532,
	}, stdout, stderr)
	if err != nil || exit.Code != 0 {
		t.Fatalf("Run = %+v, %v; stderr: %s", exit, err, stderr.Bytes())
	}
	if got, want := string(stdout.Bytes()), "child ran\ndone\n"; got != want {
		t.Errorf("stdout = %q, want %q: no unshare may work, a child process must", got, want)
	}
}
