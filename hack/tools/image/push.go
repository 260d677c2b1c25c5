package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type pushOptions struct {
	Layout string
	Ref    name.Reference
}

func parsePushFlags(args []string, stderr io.Writer) (*pushOptions, error) {
	fs := flag.NewFlagSet("image push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("layout", "", "OCI layout written by image build (its OUT/oci) (required)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *dir == "" {
		return nil, fmt.Errorf("push: --layout is required")
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("push: want exactly one IMAGE (registry/repository:tag), got %d arguments", fs.NArg())
	}
	ref, err := name.ParseReference(fs.Arg(0), name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("push: IMAGE %q is not a registry/repository:tag reference: %w", fs.Arg(0), err)
	}
	return &pushOptions{Layout: *dir, Ref: ref}, nil
}

// layoutIndex is the one image index a layout written by build holds.
func layoutIndex(dir string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the OCI layout %s (run make image first): %w", dir, err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("%s/index.json: want exactly one image index, found %d entries: not a layout image build wrote", dir, len(m.Manifests))
	}
	return top.ImageIndex(m.Manifests[0].Digest)
}

// push uploads the layout's image index, every platform's manifest and blob,
// to o.Ref with the credentials of the usual docker/podman config files, and
// returns the digest reference of what it pushed.
func push(ctx context.Context, o *pushOptions, out io.Writer) (name.Digest, error) {
	idx, err := layoutIndex(o.Layout)
	if err != nil {
		return name.Digest{}, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return name.Digest{}, err
	}
	fmt.Fprintf(out, ">> image: pushing index %s (%d platforms) from %s to %s\n", digest, len(m.Manifests), o.Layout, o.Ref)
	if err := remote.WriteIndex(o.Ref, idx,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("appserver-operator-image")); err != nil {
		return name.Digest{}, fmt.Errorf("pushing to %s: %w", o.Ref, err)
	}
	d := o.Ref.Context().Digest(digest.String())
	fmt.Fprintf(out, "pushed: %s\n", d)
	return d, nil
}
