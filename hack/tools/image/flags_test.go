package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input stops the builder with an error naming the flag at fault.
func TestBuildFlagErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	good := []string{"--name", "app", "--tag", "registry.example.com/app:v1", "--entrypoint", "/app",
		"--binary", "linux/amd64=" + bin, "--source-date-epoch", "0", "--out", dir}
	with := func(extra ...string) []string { return append(append([]string{}, good...), extra...) }
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(good); i += 2 {
			if good[i] != flag {
				out = append(out, good[i], good[i+1])
			}
		}
		return out
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{without("--name"), "--name is required"},
		{without("--tag"), "--tag is required"},
		{without("--entrypoint"), "--entrypoint is required"},
		{without("--out"), "--out is required"},
		{without("--binary"), "--binary OS/ARCH=PATH is required"},
		{without("--source-date-epoch"), "--source-date-epoch (or SOURCE_DATE_EPOCH) is required"},
		{with("--source-date-epoch", "yesterday"), `--source-date-epoch "yesterday"`},
		{with("--name", "a/b"), `--name "a/b"`},
		{with("--tag", "Not A Ref"), `--tag "Not A Ref"`},
		{with("--entrypoint", "app"), `--entrypoint "app"`},
		{with("--user", "nonroot"), `--user "nonroot" must be numeric`},
		{with("--binary", "amd64="+bin), `platform "amd64"`},
		{with("--binary", "linux/amd64"), `--binary "linux/amd64" must be OS/ARCH=PATH`},
		{with("--binary", "linux/amd64="+bin), "platform linux/amd64 given twice"},
		{with("--binary", "linux/arm64="+filepath.Join(dir, "missing")), "--binary linux/arm64: "},
		{with("--file", "licenses/LICENSE="+bin), `--file "licenses/LICENSE=`},
		{with("--file", "/app="+bin), "/app is already in the image"},
		{with("--label", "novalue"), `--label "novalue" must be KEY=VALUE`},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", "")
		_, err := parseBuildFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("build %s: error %v, want one containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	if _, err := parseBuildFlags(good, io.Discard); err != nil {
		t.Errorf("good flags rejected: %v", err)
	}
}

func TestPushFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"registry.example.com/app:v1"}, "--layout is required"},
		{[]string{"--layout", "x"}, "want exactly one IMAGE"},
		{[]string{"--layout", "x", "Not A Ref"}, `IMAGE "Not A Ref"`},
	} {
		_, err := parsePushFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("push %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	_, err := layoutIndex(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "run make image first") {
		t.Errorf("push from an empty directory: error %v, want one saying to run make image", err)
	}
}
