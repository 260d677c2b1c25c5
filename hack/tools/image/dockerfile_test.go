package main

import (
	"archive/tar"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No container daemon runs in CI, so the Dockerfile is never built here.
// Instead it is parsed with BuildKit's own parser and its final stage is held
// to the image `make image` builds: same base, user, entrypoint, labels, files.

type stage struct {
	from  *parser.Node
	name  string
	instr []*parser.Node
}

func parseDockerfile(t *testing.T) (global []*parser.Node, stages []stage) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("parsing the Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			s := stage{from: n}
			if a := args(n); len(a) == 3 && strings.EqualFold(a[1], "as") {
				s.name = a[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			global = append(global, n)
			continue
		}
		stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, n)
	}
	return global, stages
}

// args are an instruction's arguments, quotes removed.
func args(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		v := a.Value
		if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = u
		}
		out = append(out, v)
	}
	return out
}

func builtConfigAndFiles(t *testing.T) (*v1.ConfigFile, []string) {
	t.Helper()
	idx, err := layoutIndex(filepath.Join(builtImage(t), "oci"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := readLayer(t, layers[0], cf.Created.Time)
	var files []string
	for _, e := range entries {
		if e.Type == tar.TypeReg {
			files = append(files, "/"+e.Name)
		}
	}
	return cf, files
}

func TestDockerfileBuildsWhatMakeImageBuilds(t *testing.T) {
	cf, files := builtConfigAndFiles(t)
	global, stages := parseDockerfile(t)

	for _, n := range global {
		if !strings.EqualFold(n.Value, "arg") {
			t.Errorf("line %d: %s before the first FROM; only ARG belongs there", n.StartLine, n.Value)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("the Dockerfile has %d stages, want 2 (builder, then scratch)", len(stages))
	}
	builder, final := stages[0], stages[1]
	if builder.name != "builder" {
		t.Errorf("first stage is named %q, want builder", builder.name)
	}

	// The builder compiles as make image does: static, trimmed, stamped.
	var build string
	for _, n := range builder.instr {
		if strings.EqualFold(n.Value, "run") && strings.Contains(n.Original, "go build") {
			build = n.Original
		}
	}
	if build == "" {
		t.Fatal("the builder stage has no RUN ... go build")
	}
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w `,
		"-X github.com/appserver-operator/appserver-operator/internal/version.Version=${VERSION}",
		"-X github.com/appserver-operator/appserver-operator/internal/version.Commit=${COMMIT}",
		"-o /out/appserver-operator", "./cmd/appserver-operator",
	} {
		if !strings.Contains(build, want) {
			t.Errorf("the builder's go build lacks %q:\n%s", want, build)
		}
	}

	if a := args(final.from); len(a) != 1 || a[0] != "scratch" || len(final.from.Flags) != 0 {
		t.Errorf("final stage is FROM %v %v, want FROM scratch", final.from.Flags, a)
	}
	var (
		user, entrypoint []string
		labels           = map[string]string{}
		copies           = map[string]string{} // destination -> "--from=stage source" or "source"
		contextSources   []string
	)
	for _, n := range final.instr {
		a := args(n)
		switch strings.ToLower(n.Value) {
		case "arg":
		case "user":
			user = a
		case "entrypoint":
			if !n.Attributes["json"] {
				t.Errorf("line %d: ENTRYPOINT in shell form; a scratch image has no shell: use the JSON form", n.StartLine)
			}
			entrypoint = a
		case "label":
			for i := 0; i+1 < len(a); i += 3 { // key, value, "="
				labels[a[i]] = a[i+1]
			}
		case "copy":
			if len(a) != 2 {
				t.Errorf("line %d: COPY with %d arguments, want one source and one destination", n.StartLine, len(a))
				continue
			}
			from := strings.Join(n.Flags, " ")
			if from == "" {
				contextSources = append(contextSources, a[0])
			}
			copies[a[1]] = strings.TrimSpace(from + " " + a[0])
		default:
			// RUN, ENV, WORKDIR, VOLUME, ... would make the layout differ.
			t.Errorf("line %d: %s in the final stage; make image has no counterpart for it", n.StartLine, n.Value)
		}
	}

	if len(user) != 1 || user[0] != cf.Config.User {
		t.Errorf("USER %v, make image runs as %q", user, cf.Config.User)
	}
	if !slices.Equal(entrypoint, cf.Config.Entrypoint) {
		t.Errorf("ENTRYPOINT %q, make image's is %q", entrypoint, cf.Config.Entrypoint)
	}
	if got, want := slices.Sorted(maps.Keys(labels)), slices.Sorted(maps.Keys(cf.Config.Labels)); !slices.Equal(got, want) {
		t.Errorf("LABEL keys %v, make image's are %v", got, want)
	}
	for k, v := range labels {
		switch k {
		case "org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.created":
			// Build arguments: the values of `make version`.
			arg := map[string]string{"version": "VERSION", "revision": "COMMIT", "created": "CREATED"}[strings.TrimPrefix(k, "org.opencontainers.image.")]
			if v != "${"+arg+"}" {
				t.Errorf("LABEL %s=%q, want ${%s}", k, v, arg)
			}
		default:
			if v != cf.Config.Labels[k] {
				t.Errorf("LABEL %s=%q, make image's is %q", k, v, cf.Config.Labels[k])
			}
		}
	}
	if got := slices.Sorted(maps.Keys(copies)); !slices.Equal(got, files) {
		t.Errorf("the final stage copies %v, make image's layer holds %v", got, files)
	}
	if c := copies[cf.Config.Entrypoint[0]]; c != "--from=builder /out/appserver-operator" {
		t.Errorf("the entrypoint comes from %q, want the builder's /out/appserver-operator", c)
	}
	if c := copies["/licenses/LICENSE"]; c != "LICENSE" {
		t.Errorf("/licenses/LICENSE comes from %q, want the repository's LICENSE", c)
	}

	// .dockerignore lets through everything the Dockerfile takes from the context.
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range builder.instr {
		if strings.EqualFold(n.Value, "copy") && len(n.Flags) == 0 {
			a := args(n)
			contextSources = append(contextSources, a[:len(a)-1]...)
		}
	}
	allowed := map[string]bool{}
	for line := range strings.Lines(string(ignore)) {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "!"); ok {
			allowed[strings.TrimSuffix(s, "/")] = true
		}
	}
	for _, src := range contextSources {
		if !allowed[strings.TrimSuffix(src, "/")] {
			t.Errorf("the Dockerfile copies %s from the context but .dockerignore does not let it through", src)
		}
	}
}
