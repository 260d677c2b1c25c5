package convert

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes of `appserver-operator convert`.
const (
	ExitOK    = 0
	ExitLoss  = 1 // fields not carried (without --allow-loss), or input that cannot be read
	ExitUsage = 2
)

// Main is `appserver-operator convert`: it reads -f (a file, or - for
// stdin), writes the converted documents to -o (a file, or - for stdout),
// and prints one line per finding on stderr. When a field cannot be carried
// it writes nothing and exits 1, unless --allow-loss.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("f", "", "WebOTX manifest to convert: a file, or - for stdin. Multi-document YAML and Lists are read.")
	out := fs.String("o", "-", "Where to write the converted manifest: a file, or - for stdout.")
	allowLoss := fs.Bool("allow-loss", false, "Write the result and exit 0 even when fields cannot be carried (they are still listed on stderr).")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: appserver-operator convert -f webotx.yaml [-o appserver.yaml] [--allow-loss]")
		fmt.Fprintln(stderr, "Converts WebOTX ApplicationServers (webotx.nec.com/v2, v3, v4) into appserver.dev/v1alpha1 ones; other objects pass unchanged.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *in == "" || fs.NArg() > 0 {
		fs.Usage()
		return ExitUsage
	}

	var data []byte
	var err error
	if *in == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(*in)
	}
	if err != nil {
		fmt.Fprintln(stderr, "convert: reading the input:", err)
		return ExitLoss
	}
	res, err := Convert(data)
	if err != nil {
		fmt.Fprintln(stderr, "convert:", err)
		return ExitLoss
	}
	for _, f := range res.Findings {
		fmt.Fprintln(stderr, f.String())
	}
	if n := res.Losses(); n > 0 && !*allowLoss {
		fmt.Fprintf(stderr, "convert: %d field(s) cannot be carried (listed above); nothing written. --allow-loss writes the result without them\n", n)
		return ExitLoss
	}
	if *out == "-" {
		_, err = stdout.Write(res.Output)
	} else {
		err = os.WriteFile(*out, res.Output, 0o600)
	}
	if err != nil {
		fmt.Fprintln(stderr, "convert: writing the output:", err)
		return ExitLoss
	}
	return ExitOK
}
