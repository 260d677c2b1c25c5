package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerFile is one file of a layer: where it goes and where it comes from.
type layerFile struct {
	Path       string // absolute path in the image
	Src        string // file on disk
	Executable bool   // mode 0755 instead of 0644
}

// Fixed modes and owner of every entry: root owns everything and nothing is
// writable by the image's user, so the root filesystem can be mounted
// read-only without losing anything.
const (
	modeDir  = 0o755
	modeExec = 0o755
	modeFile = 0o644
)

// newLayer builds a gzip-compressed OCI layer holding files and their
// parent directories, and returns it with its entry names in tar order.
// The tar is reproducible: entries sorted by name, owned by 0:0 with no
// user or group names, fixed modes, every mtime at epoch; gzip writes no
// name or time in its header.
func newLayer(files []layerFile, epoch time.Time) (v1.Layer, []string, error) {
	type entry struct {
		name string // tar name: relative, directories end in "/"
		file *layerFile
	}
	var entries []entry
	dirs := map[string]bool{}
	for i := range files {
		f := &files[i]
		rel := strings.TrimPrefix(f.Path, "/")
		entries = append(entries, entry{name: rel, file: f})
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			if !dirs[d] {
				dirs[d] = true
				entries = append(entries, entry{name: d + "/"})
			}
		}
	}
	// A parent is a prefix of its children, so it sorts before them.
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			ModTime: epoch,
			Uid:     0,
			Gid:     0,
			Format:  tar.FormatPAX,
		}
		var data []byte
		if e.file == nil {
			hdr.Typeflag = tar.TypeDir
			hdr.Mode = modeDir
		} else {
			b, err := os.ReadFile(e.file.Src)
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s for %s: %w", e.file.Src, e.file.Path, err)
			}
			data = b
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(data))
			hdr.Mode = modeFile
			if e.file.Executable {
				hdr.Mode = modeExec
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, nil, fmt.Errorf("writing the tar header of %s: %w", e.name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, nil, fmt.Errorf("writing %s into the layer: %w", e.name, err)
		}
		names = append(names, "/"+e.name)
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}

	// Compress once here rather than let the layer compress on every read
	// (the layout and each tarball read it again).
	var gzBuf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gzBuf, gzip.DefaultCompression)
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.Copy(zw, &tarBuf); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	compressed := gzBuf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(compressed)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, nil, err
	}
	return layer, names, nil
}
