package esexporter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// appendDocument appends the JSON document of one record to buf:
// @timestamp (the record's time, else its observed time), message (the body
// as text), severity (when known), then the resource's and the record's
// attributes by their names (a record attribute wins over a resource
// attribute of the same name, and the three fields above over both). It
// writes the JSON itself rather than through a map and encoding/json: at
// thousands of records a second that map was most of the exporter's
// garbage.
func appendDocument(buf []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, error) {
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	buf = append(buf, `{"@timestamp":"`...)
	buf = ts.AsTime().UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","message":`...)
	if body := lr.Body(); body.Type() == pcommon.ValueTypeStr {
		buf = appendString(buf, body.Str())
	} else {
		buf = appendString(buf, body.AsString())
	}
	severity := lr.SeverityText()
	if severity == "" && lr.SeverityNumber() != plog.SeverityNumberUnspecified {
		severity = lr.SeverityNumber().String()
	}
	if severity != "" {
		buf = append(buf, `,"severity":`...)
		buf = appendString(buf, severity)
	}
	reserved := func(k string) bool {
		return k == "@timestamp" || k == "message" || (k == "severity" && severity != "")
	}
	var err error
	attrs := lr.Attributes()
	res.Attributes().Range(func(k string, v pcommon.Value) bool {
		if reserved(k) {
			return true
		}
		if _, ok := attrs.Get(k); ok {
			return true
		}
		buf, err = appendField(buf, k, v)
		return err == nil
	})
	if err != nil {
		return buf, err
	}
	attrs.Range(func(k string, v pcommon.Value) bool {
		if reserved(k) {
			return true
		}
		buf, err = appendField(buf, k, v)
		return err == nil
	})
	return append(buf, '}'), err
}

// appendField appends ,"k":v.
func appendField(buf []byte, k string, v pcommon.Value) ([]byte, error) {
	buf = append(buf, ',')
	buf = appendString(buf, k)
	buf = append(buf, ':')
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendString(buf, v.Str()), nil
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(buf, v.Int(), 10), nil
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(buf, v.Bool()), nil
	case pcommon.ValueTypeEmpty:
		return append(buf, "null"...), nil
	}
	// Doubles, maps, slices, bytes: rare in logs; encoding/json knows them
	// (and refuses NaN and infinities).
	b, err := json.Marshal(v.AsRaw())
	if err != nil {
		return buf, fmt.Errorf("encoding the attribute %q: %w", k, err)
	}
	return append(buf, b...), nil
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// (control characters, quotes, backslashes, U+2028 and U+2029; invalid
// UTF-8 becomes U+FFFD) except that <, > and & are left as they are.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
