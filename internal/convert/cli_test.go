package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainStdinStdout(t *testing.T) {
	code, out, errs := run(t, doc(""), "-f", "-")
	if code != ExitOK || !strings.Contains(out, "apiVersion: appserver.dev/v1alpha1") || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestMainFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("testdata", "advanced-v4.webotx.yaml")
	outFile := filepath.Join(dir, "ours.yaml")
	code, out, errs := run(t, "", "-f", in, "-o", outFile)
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	got, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "advanced-v4.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The golden file is the output with the notes as comments on top;
	// the CLI prints the notes on stderr.
	var notes []string
	for _, line := range strings.SplitAfter(string(golden), "\n") {
		if strings.HasPrefix(line, "# ") {
			notes = append(notes, strings.TrimPrefix(line, "# "))
		}
	}
	if want := strings.Join(notes, ""); errs != want {
		t.Errorf("stderr %q, want the notes %q", errs, want)
	}
	if want := string(golden[len(strings.Join(notes, ""))+2*len(notes):]); string(got) != want {
		t.Errorf("file holds\n%s\nwant\n%s", got, want)
	}
}

func TestMainMultiDocAndList(t *testing.T) {
	two := doc("") + "---\n" + strings.Replace(doc(""), "name: shop", "name: cart", 1)
	code, out, _ := run(t, two, "-f", "-")
	if code != ExitOK || strings.Count(out, "kind: ApplicationServer") != 2 || strings.Count(out, "---\n") != 1 {
		t.Errorf("multi-document: exit %d, stdout\n%s", code, out)
	}
	list := "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(doc(""), "\n"), "\n", "\n  ") + "\n"
	code, out, _ = run(t, list, "-f", "-")
	if code != ExitOK || !strings.Contains(out, "kind: List") || !strings.Contains(out, "appserver.dev/v1alpha1") {
		t.Errorf("List: exit %d, stdout\n%s", code, out)
	}
}

func TestMainLoss(t *testing.T) {
	lossy := strings.Replace(doc("  webotx:\n    colour: blue\n"), "replicas: 1", "replicas: 1\n    restartPolicy: Never", 1)
	dir := t.TempDir()
	outFile := filepath.Join(dir, "ours.yaml")
	code, out, errs := run(t, lossy, "-f", "-", "-o", outFile)
	if code != ExitLoss || out != "" {
		t.Errorf("exit %d (want %d), stdout %q", code, ExitLoss, out)
	}
	for _, want := range []string{
		"document 1 (shop): spec.deployment.restartPolicy: not carried: ",
		"document 1 (shop): spec.webotx.colour: not carried: unknown field",
		"2 field(s) cannot be carried",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if _, err := os.Stat(outFile); !os.IsNotExist(err) {
		t.Errorf("output file written despite the loss (stat: %v)", err)
	}

	code, out, errs = run(t, lossy, "-f", "-", "--allow-loss")
	if code != ExitOK || !strings.Contains(out, "appserver.dev/v1alpha1") || strings.Contains(out, "colour") {
		t.Errorf("--allow-loss: exit %d, stdout\n%s", code, out)
	}
	if strings.Count(errs, "not carried") != 2 {
		t.Errorf("--allow-loss: the losses must still be listed:\n%s", errs)
	}
}

func TestMainErrors(t *testing.T) {
	if code, _, errs := run(t, ""); code != ExitUsage || !strings.Contains(errs, "Usage") {
		t.Errorf("no -f: exit %d, stderr %q", code, errs)
	}
	if code, _, _ := run(t, "", "-f", "-", "--bogus"); code != ExitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code, _, errs := run(t, "", "-f", filepath.Join(t.TempDir(), "missing.yaml")); code != ExitLoss || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run(t, "apiVersion: webotx.nec.com/v1\nkind: ApplicationServer\n", "-f", "-"); code != ExitLoss || !strings.Contains(errs, "webotx.nec.com/v1") {
		t.Errorf("unknown version: exit %d, stderr %q", code, errs)
	}
}
