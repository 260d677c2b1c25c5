package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image the Makefile is meant to build. The tests hold `make image` to
// these on purpose: changing what ships means changing them too.
var (
	// The Makefile's default platforms; `make test-image IMAGE_PLATFORMS=...`
	// (the variable reaches the tests and their `make image` as an
	// environment variable) holds the image to that list instead.
	wantPlatforms = platformsFromEnv("linux/amd64 linux/arm64")
	wantUser      = "65532:65532"
	wantEntry     = []string{"/appserver-operator"}
	// Every entry of the one layer, in tar order: nothing else ships.
	wantEntries = []tarEntry{
		{Name: "appserver-operator", Type: tar.TypeReg, Mode: 0o755},
		{Name: "licenses/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "licenses/LICENSE", Type: tar.TypeReg, Mode: 0o644},
	}
	wantLabelKeys = []string{
		"org.opencontainers.image.created",
		"org.opencontainers.image.description",
		"org.opencontainers.image.licenses",
		"org.opencontainers.image.revision",
		"org.opencontainers.image.source",
		"org.opencontainers.image.title",
		"org.opencontainers.image.version",
	}
	elfMachine = map[string]elf.Machine{
		"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390,
	}
)

// platformsFromEnv returns $IMAGE_PLATFORMS (space separated), or def.
func platformsFromEnv(def string) []string {
	if v := strings.TrimSpace(os.Getenv("IMAGE_PLATFORMS")); v != "" {
		return strings.Fields(v)
	}
	return strings.Fields(def)
}

type tarEntry struct {
	Name string
	Type byte
	Mode int64
}

// testIMG is the IMG the tests build with: the tarballs are tagged with it.
const testIMG = "registry.example.com/platform/appserver-operator:v0.0.0-test"

var repoRoot = func() string {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}()

// scratch holds the images the tests build; TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	var err error
	if scratch, err = os.MkdirTemp("", "image-test-"); err != nil {
		log.Fatal(err)
	}
	code := m.Run()
	_ = os.RemoveAll(scratch)
	os.Exit(code)
}

// makeOutput runs the repository's Makefile, as a user would.
func makeOutput(args ...string) (string, error) {
	cmd := exec.Command("make", append([]string{"-C", repoRoot, "--no-print-directory"}, args...)...)
	// A parent make's flags (-s, -j, jobserver) are not for this one.
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("make %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func runMake(t *testing.T, args ...string) string {
	t.Helper()
	out, err := makeOutput(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// makeVars is what `make version` prints: VERSION, COMMIT, SOURCE_DATE_EPOCH, CREATED.
func makeVars(t *testing.T) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for line := range strings.Lines(runMake(t, "-s", "version")) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			vars[k] = v
		}
	}
	for _, k := range []string{"VERSION", "COMMIT", "SOURCE_DATE_EPOCH", "CREATED"} {
		if vars[k] == "" {
			t.Fatalf("make version printed no %s: %v", k, vars)
		}
	}
	return vars
}

var first struct {
	once sync.Once
	dir  string
	out  string
	err  error
}

// builtImage runs `make image` once into a fresh directory and returns it;
// the tests share it.
func builtImage(t *testing.T) string {
	t.Helper()
	first.once.Do(func() {
		first.dir = filepath.Join(scratch, "first")
		first.out, first.err = makeOutput("image", "IMAGE_DIR="+first.dir, "IMG="+testIMG)
	})
	if first.err != nil {
		t.Fatal(first.err)
	}
	return first.dir
}

func layoutDigest(t *testing.T, dir string) v1.Hash {
	t.Helper()
	idx, err := layoutIndex(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

func TestMakeImageIsReproducible(t *testing.T) {
	dirA := builtImage(t)
	dirB := filepath.Join(scratch, "second")
	outB := runMake(t, "image", "IMAGE_DIR="+dirB, "IMG="+testIMG)

	a, b := layoutDigest(t, dirA), layoutDigest(t, dirB)
	if a != b {
		t.Fatalf("two builds of one commit gave two index digests: %s and %s", a, b)
	}
	// The digest make image prints is the layout's.
	for _, out := range []string{first.out, outB} {
		if !strings.Contains(out, "@"+a.String()) {
			t.Errorf("make image output does not print the index digest %s:\n%s", a, out)
		}
	}
	for _, p := range wantPlatforms {
		tarName := "appserver-operator-" + strings.ReplaceAll(p, "/", "-") + ".tar"
		if sa, sb := fileSum(t, filepath.Join(dirA, tarName)), fileSum(t, filepath.Join(dirB, tarName)); sa != sb {
			t.Errorf("%s differs between the two builds: sha256 %s and %s", tarName, sa, sb)
		}
	}
}

func TestPushPullRoundTrip(t *testing.T) {
	dir := builtImage(t)
	vars := makeVars(t)
	local := layoutDigest(t, dir)

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	registryHost := strings.TrimPrefix(srv.URL, "http://")
	out := runMake(t, "image-push", "IMG="+registryHost+"/appserver-operator:test", "IMAGE_DIR="+dir)

	var pushed string
	for line := range strings.Lines(out) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "pushed: "); ok {
			pushed = s
		}
	}
	if pushed == "" {
		t.Fatalf("make image-push printed no \"pushed: <digest reference>\" line:\n%s", out)
	}
	ref, err := name.NewDigest(pushed)
	if err != nil {
		t.Fatalf("make image-push printed %q, not a digest reference: %v", pushed, err)
	}
	if ref.DigestStr() != local.String() {
		t.Errorf("pushed digest %s, the local layout's is %s", ref.DigestStr(), local)
	}

	// Pull by digest, as a cluster would.
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("pulling the index %s: %v", ref, err)
	}
	if d, _ := idx.Digest(); d != local {
		t.Errorf("pulled index digest %s, want %s", d, local)
	}
	// The tag points at it too.
	tagged, err := remote.Head(ref.Context().Tag("test"))
	if err != nil {
		t.Fatalf("resolving the pushed tag: %v", err)
	}
	if tagged.Digest != local {
		t.Errorf("tag test resolves to %s, want %s", tagged.Digest, local)
	}

	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %q, want %q", im.MediaType, types.OCIImageIndex)
	}
	var platforms []string
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform in the index", desc.Digest)
		}
		platforms = append(platforms, desc.Platform.String())
	}
	if !slices.Equal(platforms, wantPlatforms) {
		t.Fatalf("index platforms %v, want %v", platforms, wantPlatforms)
	}

	epoch, err := strconv.ParseInt(vars["SOURCE_DATE_EPOCH"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Unix(epoch, 0).UTC()
	license, err := os.ReadFile(filepath.Join(repoRoot, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	host := runtime.GOOS + "/" + runtime.GOARCH
	if !slices.Contains(platforms, host) {
		t.Errorf("the index has no %s image, so no binary from it runs here", host)
	}
	for _, desc := range im.Manifests {
		plat := desc.Platform.String()
		t.Run(plat, func(t *testing.T) {
			img, err := remote.Image(ref.Context().Digest(desc.Digest.String()))
			if err != nil {
				t.Fatalf("pulling %s: %v", plat, err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != desc.Platform.OS || cf.Architecture != desc.Platform.Architecture {
				t.Errorf("config says %s/%s, the index %s", cf.OS, cf.Architecture, plat)
			}
			if cf.Config.User != wantUser {
				t.Errorf("user %q, want %q", cf.Config.User, wantUser)
			}
			if !slices.Equal(cf.Config.Entrypoint, wantEntry) {
				t.Errorf("entrypoint %q, want %q", cf.Config.Entrypoint, wantEntry)
			}
			if !cf.Created.Equal(created) {
				t.Errorf("created %s, want the commit time %s", cf.Created.Time, created)
			}
			labels := cf.Config.Labels
			if keys := slices.Sorted(maps.Keys(labels)); !slices.Equal(keys, wantLabelKeys) {
				t.Errorf("label keys %v, want %v", keys, wantLabelKeys)
			}
			for k, want := range map[string]string{
				"org.opencontainers.image.version":  vars["VERSION"],
				"org.opencontainers.image.revision": vars["COMMIT"],
				"org.opencontainers.image.created":  vars["CREATED"],
				"org.opencontainers.image.licenses": "Apache-2.0",
				"org.opencontainers.image.source":   "https://github.com/appserver-operator/appserver-operator",
				"org.opencontainers.image.title":    "appserver-operator",
			} {
				if labels[k] != want {
					t.Errorf("label %s = %q, want %q", k, labels[k], want)
				}
			}

			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != 1 {
				t.Fatalf("%d layers, want 1", len(layers))
			}
			if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
				t.Errorf("layer media type %q, want %q", mt, types.OCILayer)
			}
			entries, contents := readLayer(t, layers[0], created)
			if !slices.Equal(entries, wantEntries) {
				t.Errorf("layer entries\n  %v\nwant exactly\n  %v", entries, wantEntries)
			}
			if !bytes.Equal(contents["licenses/LICENSE"], license) {
				t.Errorf("/licenses/LICENSE is not the repository's LICENSE")
			}
			bin := contents["appserver-operator"]
			ef, err := elf.NewFile(bytes.NewReader(bin))
			if err != nil {
				t.Fatalf("/appserver-operator is not an ELF binary: %v", err)
			}
			if ef.Machine != elfMachine[desc.Platform.Architecture] {
				t.Errorf("/appserver-operator is built for %s, want %s", ef.Machine, elfMachine[desc.Platform.Architecture])
			}
			if interp := ef.Section(".interp"); interp != nil {
				t.Errorf("/appserver-operator has an ELF interpreter: not a static binary")
			}

			if plat != host {
				return // ELF machine checked above; it cannot run here
			}
			exe := filepath.Join(t.TempDir(), "appserver-operator")
			if err := os.WriteFile(exe, bin, 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := exec.Command(exe, "--version").CombinedOutput()
			if err != nil {
				t.Fatalf("%s --version: %v\n%s", exe, err, got)
			}
			want := fmt.Sprintf("appserver-operator %s (commit %s, %s, %s)", vars["VERSION"], vars["COMMIT"], runtime.Version(), plat)
			if strings.TrimSpace(string(got)) != want {
				t.Errorf("the image's binary --version printed %q, want %q", got, want)
			}
		})
	}
}

// Each platform's tarball is a docker archive (what docker load and podman
// load read) of exactly the image the index holds for that platform.
func TestDockerArchivesHoldTheIndexImages(t *testing.T) {
	dir := builtImage(t)
	idx, err := layoutIndex(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != len(wantPlatforms) {
		t.Fatalf("index has %d manifests, want %d", len(im.Manifests), len(wantPlatforms))
	}
	for _, desc := range im.Manifests {
		plat := desc.Platform.String()
		file := filepath.Join(dir, "appserver-operator-"+strings.ReplaceAll(plat, "/", "-")+".tar")
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
		if err != nil {
			t.Errorf("%s: reading manifest.json: %v", file, err)
			continue
		}
		if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{testIMG}) {
			t.Errorf("%s: manifest.json %+v, want one image tagged %s", file, m, testIMG)
			continue
		}
		want, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		// The config digest is the image ID docker and podman show.
		gotID, _ := got.ConfigName()
		wantID, _ := want.ConfigName()
		if gotID != wantID {
			t.Errorf("%s: image ID %s, the index's %s image has %s", file, gotID, plat, wantID)
		}
		gotLayers, _ := got.Layers()
		wantLayers, _ := want.Layers()
		if len(gotLayers) != 1 || len(wantLayers) != 1 {
			t.Fatalf("%s: %d layers, index %d; want 1", file, len(gotLayers), len(wantLayers))
		}
		gd, _ := gotLayers[0].Digest()
		wd, _ := wantLayers[0].Digest()
		if gd != wd {
			t.Errorf("%s: layer %s, the index's %s", file, gd, wd)
		}
	}
}

// readLayer lists a layer's tar entries and returns the regular files'
// contents; it fails on an owner or mtime other than the fixed ones.
func readLayer(t *testing.T, l v1.Layer, mtime time.Time) ([]tarEntry, map[string][]byte) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(bufio.NewReader(rc))
	var entries []tarEntry
	contents := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the layer: %v", err)
		}
		entries = append(entries, tarEntry{Name: h.Name, Type: h.Typeflag, Mode: h.Mode})
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s is owned by %d:%d (%q:%q), want 0:0 with no names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(mtime) {
			t.Errorf("%s has mtime %s, want %s", h.Name, h.ModTime, mtime)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			contents[h.Name] = b
		}
	}
	return entries, contents
}
