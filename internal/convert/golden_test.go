package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the converter's output")

// inputs lists testdata/*.webotx.yaml: WebOTX's public CR shapes (the simple
// CR and the advanced template of each API version) and the guide's CR
// examples, with real values. The integration test feeds the same files to
// a real API server.
func inputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.webotx.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.webotx.yaml: %v", err)
	}
	return files
}

// TestGolden converts every input without a loss and compares the output,
// with the notes as comments at the top, with testdata/<name>.golden.yaml.
func TestGolden(t *testing.T) {
	for _, in := range inputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".webotx.yaml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Convert(raw)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if res.Converted != 1 {
				t.Errorf("converted %d ApplicationServers, want 1", res.Converted)
			}
			var got bytes.Buffer
			for _, f := range res.Findings {
				if f.Loss {
					t.Errorf("loss: %s", f)
				}
				got.WriteString("# " + f.String() + "\n")
			}
			got.Write(res.Output)

			golden := filepath.Join("testdata", name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", golden, got.Bytes(), want)
			}
		})
	}
}
