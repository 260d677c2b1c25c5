package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Label keys the builder fills in itself when the caller did not.
const (
	labelCreated = "org.opencontainers.image.created"
	labelTitle   = "org.opencontainers.image.title"
)

// Annotations on the layout's index.json entry: the OCI one (the tag alone,
// as the image-layout spec has it; `skopeo copy oci:DIR:TAG` uses it) and the
// one containerd (and Docker's containerd image store) names an import by.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerName = "io.containerd.image.name"
)

// buildOptions is everything `image build` takes.
type buildOptions struct {
	Name       string            // image name: the title label and the tarball file names
	Tag        *name.Tag         // the reference docker load / podman load tag the image with
	Entrypoint string            // absolute path of the binary in the image
	Cmd        []string          // default arguments
	User       string            // numeric uid:gid
	Binaries   []platformBinary  // one per platform, in the index's order
	Files      []fileSpec        // extra files, e.g. /licenses/LICENSE
	Labels     map[string]string // image config labels, also the manifests' annotations
	Epoch      time.Time         // every timestamp in the image
	OutDir     string            // where the layout and the tarballs go
}

type platformBinary struct {
	Platform v1.Platform
	Path     string
}

type fileSpec struct {
	Dest string // absolute path in the image
	Src  string // file on disk
}

// repeated is a flag.Value collecting every occurrence of a flag.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

var numericUser = regexp.MustCompile(`^[0-9]+:[0-9]+$`)

func parseBuildFlags(args []string, stderr io.Writer) (*buildOptions, error) {
	fs := flag.NewFlagSet("image build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var binaries, files, labels, cmd repeated
	nameFlag := fs.String("name", "", "image name, used for the title label and the tarball file names (required)")
	tag := fs.String("tag", "", "reference the tarballs and the layout name the image by, e.g. ghcr.io/org/repo:v1.0.0 (required)")
	entrypoint := fs.String("entrypoint", "", "absolute path of the binary in the image; it is the entrypoint (required)")
	user := fs.String("user", "65532:65532", "numeric uid:gid the image runs as")
	epoch := fs.String("source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time of every timestamp in the image (default $SOURCE_DATE_EPOCH)")
	out := fs.String("out", "", "output directory: the layout goes to OUT/oci, the tarballs to OUT/NAME-OS-ARCH.tar (required)")
	fs.Var(&binaries, "binary", "OS/ARCH=PATH: the static binary for a platform (repeat per platform)")
	fs.Var(&files, "file", "DEST=SRC: an extra file in every platform's layer, e.g. /licenses/LICENSE=LICENSE (repeatable)")
	fs.Var(&labels, "label", "KEY=VALUE: an image label (repeatable)")
	fs.Var(&cmd, "cmd", "a default argument after the entrypoint (repeatable, in order)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("build: unexpected argument %q", fs.Arg(0))
	}

	o := &buildOptions{Name: *nameFlag, Entrypoint: *entrypoint, Cmd: cmd, User: *user, OutDir: *out, Labels: map[string]string{}}
	for flagName, v := range map[string]string{"--name": *nameFlag, "--tag": *tag, "--entrypoint": *entrypoint, "--out": *out} {
		if v == "" {
			return nil, fmt.Errorf("build: %s is required", flagName)
		}
	}
	if strings.ContainsAny(o.Name, "/: ") {
		return nil, fmt.Errorf("build: --name %q must be a plain name (no '/', ':' or spaces)", o.Name)
	}
	t, err := name.NewTag(*tag, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("build: --tag %q is not a registry/repository:tag reference: %w", *tag, err)
	}
	o.Tag = &t
	if !path.IsAbs(o.Entrypoint) || path.Clean(o.Entrypoint) != o.Entrypoint || o.Entrypoint == "/" {
		return nil, fmt.Errorf("build: --entrypoint %q must be a clean absolute file path, e.g. /appserver-operator", o.Entrypoint)
	}
	if !numericUser.MatchString(o.User) {
		return nil, fmt.Errorf("build: --user %q must be numeric uid:gid, e.g. 65532:65532 (a scratch image has no /etc/passwd to look names up in)", o.User)
	}
	if *epoch == "" {
		return nil, fmt.Errorf("build: --source-date-epoch (or SOURCE_DATE_EPOCH) is required: the image's timestamps come from it, e.g. $(git log -1 --format=%%ct)")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil || secs < 0 {
		return nil, fmt.Errorf("build: --source-date-epoch %q must be a non-negative Unix time in seconds", *epoch)
	}
	o.Epoch = time.Unix(secs, 0).UTC()

	if len(binaries) == 0 {
		return nil, fmt.Errorf("build: at least one --binary OS/ARCH=PATH is required")
	}
	seen := map[string]bool{}
	for _, b := range binaries {
		plat, file, ok := strings.Cut(b, "=")
		if !ok || plat == "" || file == "" {
			return nil, fmt.Errorf("build: --binary %q must be OS/ARCH=PATH, e.g. linux/amd64=bin/linux-amd64/app", b)
		}
		p, err := v1.ParsePlatform(plat)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("build: --binary %q: platform %q must be OS/ARCH[/VARIANT]", b, plat)
		}
		if seen[p.String()] {
			return nil, fmt.Errorf("build: --binary: platform %s given twice", p)
		}
		seen[p.String()] = true
		if err := regularFile(file); err != nil {
			return nil, fmt.Errorf("build: --binary %s: %w", p, err)
		}
		o.Binaries = append(o.Binaries, platformBinary{Platform: *p, Path: file})
	}
	dests := map[string]bool{o.Entrypoint: true}
	for _, f := range files {
		dest, src, ok := strings.Cut(f, "=")
		if !ok || dest == "" || src == "" {
			return nil, fmt.Errorf("build: --file %q must be DEST=SRC, e.g. /licenses/LICENSE=LICENSE", f)
		}
		if !path.IsAbs(dest) || path.Clean(dest) != dest || dest == "/" {
			return nil, fmt.Errorf("build: --file %q: destination must be a clean absolute file path", f)
		}
		if dests[dest] {
			return nil, fmt.Errorf("build: --file %q: %s is already in the image", f, dest)
		}
		dests[dest] = true
		if err := regularFile(src); err != nil {
			return nil, fmt.Errorf("build: --file %s: %w", dest, err)
		}
		o.Files = append(o.Files, fileSpec{Dest: dest, Src: src})
	}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("build: --label %q must be KEY=VALUE", l)
		}
		o.Labels[k] = v
	}
	if _, ok := o.Labels[labelCreated]; !ok {
		o.Labels[labelCreated] = o.Epoch.Format(time.RFC3339)
	}
	if _, ok := o.Labels[labelTitle]; !ok {
		o.Labels[labelTitle] = o.Name
	}
	return o, nil
}

func regularFile(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", p)
	}
	return nil
}

// build makes the image of every platform and their index, writes the layout
// and the docker archives, and returns the index digest.
func build(o *buildOptions, out io.Writer) (v1.Hash, error) {
	step := func(format string, args ...any) { fmt.Fprintf(out, ">> image: "+format+"\n", args...) }

	var files []layerFile
	for _, f := range o.Files {
		files = append(files, layerFile{Path: f.Dest, Src: f.Src})
	}
	adds := make([]mutate.IndexAddendum, 0, len(o.Binaries))
	images := map[string]v1.Image{}
	for _, b := range o.Binaries {
		plat := b.Platform.String()
		layerFiles := append([]layerFile{{Path: o.Entrypoint, Src: b.Path, Executable: true}}, files...)
		layer, entries, err := newLayer(layerFiles, o.Epoch)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("building the %s layer: %w", plat, err)
		}
		img, err := platformImage(o, b.Platform, layer)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("building the %s image: %w", plat, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return v1.Hash{}, fmt.Errorf("computing the %s manifest digest: %w", plat, err)
		}
		size, err := layer.Size()
		if err != nil {
			return v1.Hash{}, err
		}
		step("%-14s manifest %s, one layer of %s compressed: %s", plat, digest, megabytes(size), strings.Join(entries, " "))
		images[plat] = img
		p := b.Platform
		adds = append(adds, mutate.IndexAddendum{Add: plainImage{img}, Descriptor: v1.Descriptor{Platform: &p}})
	}

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	idx = mutate.Annotations(idx, o.Labels).(v1.ImageIndex)
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("computing the index digest: %w", err)
	}
	step("index %s (%d platform(s))", digest, len(o.Binaries))

	layoutDir := filepath.Join(o.OutDir, "oci")
	// A fresh layout each time: appending to an old one would keep stale
	// blobs and a second index.json entry. Only ever remove a layout, never
	// a directory someone pointed --out at by mistake.
	if err := removeOldLayout(layoutDir); err != nil {
		return v1.Hash{}, err
	}
	lp, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing the OCI layout %s: %w", layoutDir, err)
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		annotationRefName:       o.Tag.TagStr(),
		annotationContainerName: o.Tag.Name(),
	})); err != nil {
		return v1.Hash{}, fmt.Errorf("writing the OCI layout %s: %w", layoutDir, err)
	}
	step("OCI layout     %s (all platforms; image push --layout %s pushes it)", layoutDir, layoutDir)

	for _, b := range o.Binaries {
		plat := b.Platform.String()
		file := filepath.Join(o.OutDir, o.Name+"-"+strings.ReplaceAll(plat, "/", "-")+".tar")
		if err := tarball.WriteToFile(file, *o.Tag, images[plat]); err != nil {
			return v1.Hash{}, fmt.Errorf("writing the %s docker archive %s: %w", plat, file, err)
		}
		step("docker archive %s (%s, tagged %s: docker load -i / podman load -i)", file, plat, o.Tag)
	}
	fmt.Fprintf(out, "image: %s@%s\n", o.Tag, digest)
	return digest, nil
}

// removeOldLayout removes dir if it holds an OCI layout, and refuses to
// touch it if it holds anything else.
//
//nolint:gosec // G703: dir is this command's own --out, on the user's command line.
func removeOldLayout(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the old layout: %w", err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s exists and is not an OCI layout; not replacing it (choose another --out)", dir)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the old layout: %w", err)
	}
	return nil
}

// platformImage is the one-layer image of a platform: FROM scratch, the
// config the options describe, every timestamp at the epoch.
func platformImage(o *buildOptions, p v1.Platform, layer v1.Layer) (v1.Image, error) {
	cfg := &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      v1.Time{Time: o.Epoch},
		Config: v1.Config{
			User:       o.User,
			Entrypoint: []string{o.Entrypoint},
			Cmd:        o.Cmd,
			Labels:     maps.Clone(o.Labels),
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.Epoch},
			CreatedBy: "hack/tools/image build",
			Comment:   "static binary " + o.Entrypoint + " for " + p.String(),
		},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, o.Labels).(v1.Image), nil
}

// plainImage is an image whose index entry carries no artifactType:
// go-containerregistry otherwise copies the config media type there, which
// the OCI spec keeps for artifacts, not for runnable images.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
