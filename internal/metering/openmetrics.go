package metering

import (
	"bufio"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// expfmt (prometheus/common) has no OpenMetrics parser: its text parser reads
// most OpenMetrics bodies but rejects exemplars, float timestamps and the
// types unknown/info/stateset, and files counters under their sample name
// ("x_total") while OpenMetrics declares them without the suffix.
//
// openMetricsTranslator bridges that gap without parsing anything itself: it
// rewrites an OpenMetrics stream, line by line, into the Prometheus 0.0.4 text
// format that expfmt's parser then parses (and validates):
//
//   - "# EOF" ends the stream; "# UNIT" lines and other comments are dropped;
//   - a counter family "x" is declared as "x_total" (its sample name);
//   - unknown, info, stateset and gaugehistogram families become untyped
//     (their samples keep their names, e.g. "x_info", "x_bucket", "x_gsum");
//   - "_created" samples of counters, histograms and summaries are dropped;
//   - exemplars ("value # {...} v") are cut off;
//   - timestamps in seconds (OpenMetrics) become milliseconds (Prometheus).
//
// Everything it does not recognise is passed through unchanged, so that
// expfmt reports the error.
type openMetricsTranslator struct {
	in  *bufio.Reader
	out []byte // translated bytes not yet returned by Read
	err error  // sticky; io.EOF at the end

	// Metadata lines of the family being declared, held back until its
	// first sample (OpenMetrics allows HELP before TYPE).
	meta struct {
		pending bool
		name    string
		typ     string
		help    string
		hasHelp bool
	}
	family     string // OpenMetrics name of the family whose samples follow
	familyType string
}

func newOpenMetricsTranslator(r io.Reader) *openMetricsTranslator {
	return &openMetricsTranslator{in: bufio.NewReader(r)}
}

// Read implements io.Reader.
func (t *openMetricsTranslator) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		t.step()
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

// step translates one input line into t.out.
func (t *openMetricsTranslator) step() {
	t.out = t.out[:0]
	line, err := t.in.ReadString('\n')
	line = strings.TrimSuffix(line, "\n")
	if line == "# EOF" {
		t.flushMeta()
		t.err = io.EOF
		return
	}
	if line != "" {
		t.translate(line)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			t.flushMeta()
		}
		t.err = err
	}
}

func (t *openMetricsTranslator) translate(line string) {
	if rest, ok := strings.CutPrefix(line, "#"); ok {
		rest = strings.TrimLeft(rest, " ")
		keyword, rest, _ := strings.Cut(rest, " ")
		name, text, _ := strings.Cut(rest, " ")
		switch keyword {
		case "HELP", "TYPE", "UNIT":
		default:
			return // other comments are not part of OpenMetrics
		}
		if t.meta.pending && t.meta.name != name {
			t.flushMeta()
		}
		t.meta.pending = true
		t.meta.name = name
		switch keyword {
		case "HELP":
			t.meta.help, t.meta.hasHelp = text, true
		case "TYPE":
			t.meta.typ = text
		}
		return
	}
	t.flushMeta()
	t.sample(line)
}

// flushMeta writes the held-back HELP and TYPE lines.
func (t *openMetricsTranslator) flushMeta() {
	if !t.meta.pending {
		return
	}
	name, typ := t.meta.name, t.meta.typ
	t.family, t.familyType = name, typ
	switch typ {
	case "counter":
		if !strings.HasSuffix(name, "_total") {
			name += "_total"
		}
	case "gauge", "histogram", "summary", "":
	default:
		typ = "untyped"
	}
	if t.meta.hasHelp {
		t.out = append(t.out, "# HELP "+name+" "+t.meta.help+"\n"...)
	}
	if typ != "" {
		t.out = append(t.out, "# TYPE "+name+" "+typ+"\n"...)
	}
	t.meta.pending, t.meta.hasHelp, t.meta.help, t.meta.typ = false, false, "", ""
}

// sample rewrites one sample line: drops _created samples, cuts exemplars and
// converts the timestamp to milliseconds.
func (t *openMetricsTranslator) sample(line string) {
	end := 0
	for end < len(line) && isMetricNameByte(line[end]) {
		end++
	}
	switch t.familyType {
	case "counter", "histogram", "summary", "gaugehistogram":
		if line[:end] == t.family+"_created" {
			return
		}
	}
	if end < len(line) && line[end] == '{' {
		closing := labelSetEnd(line, end)
		if closing < 0 {
			t.passThrough(line)
			return
		}
		end = closing + 1
	}
	head, rest := line[:end], line[end:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i] // exemplar; '#' cannot appear in a value or timestamp
	}
	fields := strings.Fields(rest)
	switch len(fields) {
	case 1:
		t.out = append(t.out, head+" "+fields[0]+"\n"...)
	case 2:
		seconds, err := strconv.ParseFloat(fields[1], 64)
		if err != nil || math.IsNaN(seconds) || math.IsInf(seconds, 0) {
			t.passThrough(line)
			return
		}
		ms := strconv.FormatInt(int64(math.Round(seconds*1000)), 10)
		t.out = append(t.out, head+" "+fields[0]+" "+ms+"\n"...)
	default:
		t.passThrough(line)
	}
}

func (t *openMetricsTranslator) passThrough(line string) {
	t.out = append(t.out, line+"\n"...)
}

func isMetricNameByte(b byte) bool {
	return b == '_' || b == ':' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// labelSetEnd returns the index of the '}' closing the label set that opens
// at line[open], skipping quoted label values, or -1.
func labelSetEnd(line string, open int) int {
	inQuote, escaped := false, false
	for i := open + 1; i < len(line); i++ {
		c := line[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return i
		}
	}
	return -1
}
