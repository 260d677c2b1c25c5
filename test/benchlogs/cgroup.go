package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// memCgroup is a memory cgroup of its own for the shipper, with a limit:
// the way Kubernetes applies a container's limits.memory. What the shipper
// faults in (its heap, and the pages of its binary, read cold) is charged
// to it; the log file, written by the harness, is not (in a pod the server
// container writes it).
type memCgroup struct {
	dir string
	v1  bool
}

// newMemCgroup makes a child of this process's memory cgroup (v1 or v2)
// with a limit of limitMiB, or says why it cannot.
func newMemCgroup(limitMiB int) (*memCgroup, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var v1Path, v2Path string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2Path = parts[2]
		case strings.Contains(","+parts[1]+",", ",memory,"):
			v1Path = parts[2]
		}
	}
	name := fmt.Sprintf("benchlogs-%d", os.Getpid())
	var cg *memCgroup
	switch {
	case v1Path != "":
		cg = &memCgroup{dir: filepath.Join("/sys/fs/cgroup/memory", v1Path, name), v1: true}
	case v2Path != "":
		cg = &memCgroup{dir: filepath.Join("/sys/fs/cgroup", v2Path, name)}
	default:
		return nil, fmt.Errorf("no memory cgroup in /proc/self/cgroup")
	}
	if err := os.Mkdir(cg.dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the memory cgroup %s (run as root with cgroups writable, or pass -cgroup=false): %w", cg.dir, err)
	}
	limit, file := strconv.Itoa(limitMiB<<20), "memory.max"
	if cg.v1 {
		file = "memory.limit_in_bytes"
	}
	if err := os.WriteFile(filepath.Join(cg.dir, file), []byte(limit), 0o644); err != nil {
		cg.remove()
		return nil, fmt.Errorf("setting the limit of %s: %w", cg.dir, err)
	}
	return cg, nil
}

// wrap returns the command line that runs argv inside the cgroup: a shell
// that moves itself into it and then execs argv, so that nothing the
// program touches is charged elsewhere.
func (cg *memCgroup) wrap(argv []string) []string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return []string{"/bin/sh", "-c", fmt.Sprintf("echo $$ > '%s' && exec %s", filepath.Join(cg.dir, "cgroup.procs"), strings.Join(quoted, " "))}
}

// read returns the content of one of the cgroup's files, named v1File or
// v2File by the cgroup's version.
func (cg *memCgroup) read(v1File, v2File string) (string, error) {
	file := v2File
	if cg.v1 {
		file = v1File
	}
	b, err := os.ReadFile(filepath.Join(cg.dir, file))
	return string(b), err
}

// peakMiB is the highest memory the cgroup was charged (heap and page
// cache alike), in MiB.
func (cg *memCgroup) peakMiB() float64 {
	s, err := cg.read("memory.max_usage_in_bytes", "memory.peak")
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v / (1 << 20)
}

// oomKills is the number of processes the kernel killed in the cgroup for
// reaching its limit.
func (cg *memCgroup) oomKills() int {
	s, err := cg.read("memory.oom_control", "memory.events")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

func (cg *memCgroup) remove() { _ = os.Remove(cg.dir) }

// coldCopy copies the binary at src to dst and drops dst from the page
// cache, so that its pages are read, and charged, by the process that runs
// it: a pod that is the first on its node to run the image.
func coldCopy(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
