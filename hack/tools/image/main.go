// Command image builds a multi-platform OCI image from prebuilt static
// binaries, with no container runtime and no base image, and pushes it to a
// registry. It is what `make image` and `make image-push` run; nothing in it
// is specific to the operator, so the log shipper's image is built the same way.
//
//	image build --name appserver-operator --entrypoint /appserver-operator \
//	    --binary linux/amd64=bin/image/linux-amd64/appserver-operator \
//	    --binary linux/arm64=bin/image/linux-arm64/appserver-operator \
//	    --file /licenses/LICENSE=LICENSE --user 65532:65532 \
//	    --label org.opencontainers.image.version=v0.1.0 ... \
//	    --tag ghcr.io/appserver-operator/appserver-operator:v0.1.0 --out bin/image
//
//	image push --layout bin/image/oci ghcr.io/appserver-operator/appserver-operator:v0.1.0
//
// build writes an OCI image layout (--out/oci) holding one image index with a
// manifest per platform, and a docker-archive tarball per platform
// (--out/<name>-<os>-<arch>.tar) that `docker load` and `podman load` accept.
// Every timestamp comes from --source-date-epoch (default $SOURCE_DATE_EPOCH),
// and tar entries are sorted with fixed owners and modes, so the same inputs
// always give the same index digest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "image:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage:
  image build [flags]        build an OCI layout and docker archives from static binaries
  image push [flags] IMAGE   push the layout's image index to IMAGE (registry/repo:tag)
Run "image build -h" or "image push -h" for the flags.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("missing subcommand (build or push)")
	}
	switch args[0] {
	case "build":
		opts, err := parseBuildFlags(args[1:], stderr)
		if err != nil {
			return err
		}
		_, err = build(opts, stdout)
		return err
	case "push":
		opts, err := parsePushFlags(args[1:], stderr)
		if err != nil {
			return err
		}
		_, err = push(ctx, opts, stdout)
		return err
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown subcommand %q (want build or push)", args[0])
	}
}
