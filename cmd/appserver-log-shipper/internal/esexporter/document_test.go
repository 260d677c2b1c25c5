package esexporter

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// tricky strings for the JSON writer: what encoding/json escapes, and what
// it must leave alone.
var tricky = []string{
	"", "plain", `quote " and backslash \`, "new\nline\ttab\rreturn",
	"\x00\x01\x1f control", "<html> & </html>", "é ü 日本語 🙂",
	"line\u2028sep\u2029par", "bad \xff\xfe utf-8", "\xe2\x82", "trailing \\",
}

// TestAppendStringAgreesWithEncodingJSON: every string written reads back
// as encoding/json reads its own encoding of the same string.
func TestAppendStringAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range tricky {
		checkString(t, s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

func checkString(t *testing.T, s string) {
	t.Helper()
	var got, want string
	if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
		t.Fatalf("appendString(%q) = %s: not JSON: %v", s, appendString(nil, s), err)
	}
	std, _ := json.Marshal(s)
	_ = json.Unmarshal(std, &want)
	if got != want {
		t.Fatalf("appendString(%q) reads back as %q, encoding/json's as %q", s, got, want)
	}
}

// TestDocumentFields: the fields, their precedence and their JSON types.
func TestDocumentFields(t *testing.T) {
	res := pcommon.NewResource()
	res.Attributes().PutStr("service.name", "shop")
	res.Attributes().PutStr("host", "from the resource")
	res.Attributes().PutStr("message", "a resource attribute named message")
	lr := plog.NewLogRecord()
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
	lr.Body().SetStr("boom\n\tat x.y(Z.java:1)")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.Attributes().PutStr("host", "from the record")
	lr.Attributes().PutInt("attempt", 3)
	lr.Attributes().PutBool("retried", true)
	lr.Attributes().PutDouble("ratio", 0.5)
	lr.Attributes().PutEmptySlice("tags").AppendEmpty().SetStr("a")
	lr.Attributes().PutEmptyMap("http").PutInt("status", 500)
	lr.Attributes().PutEmpty("nothing")

	b, err := appendDocument(nil, res, lr)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	want := map[string]any{
		"@timestamp":   "2026-01-02T03:04:05.000000006Z", // observed: no record time
		"message":      "boom\n\tat x.y(Z.java:1)",
		"severity":     "Warn",
		"service.name": "shop",
		"host":         "from the record",
		"attempt":      float64(3),
		"retried":      true,
		"ratio":        0.5,
		"tags":         []any{"a"},
		"http":         map[string]any{"status": float64(500)},
		"nothing":      nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("document\n got %v\nwant %v\n(%s)", got, want, b)
	}
}

// TestDocumentRefusesWhatJSONCannotHold: a NaN attribute fails the record
// (dropped for good by push), it does not produce invalid JSON.
func TestDocumentRefusesWhatJSONCannotHold(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.Attributes().PutDouble("ratio", math.NaN())
	if b, err := appendDocument(nil, pcommon.NewResource(), lr); err == nil {
		t.Fatalf("appendDocument = %s, want an error", b)
	}
}
