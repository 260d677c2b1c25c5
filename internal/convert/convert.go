// Package convert turns WebOTX Operator's ApplicationServers
// (webotx.nec.com/v2, v3 and v4) into appserver.dev/v1alpha1
// ApplicationServers: the logic of `appserver-operator convert`.
//
// It is pure: bytes in, bytes and findings out, no client. Every field of the
// input is either carried to its home in our API (see rules.go) or reported
// as a Finding: a loss when it cannot be carried, a note when it is carried
// with a change worth knowing. A field the table does not know is a loss too:
// nothing is dropped silently.
package convert

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// WebOTX's API group and the versions the converter reads.
const (
	webotxGroup = "webotx.nec.com"
	kindServer  = "ApplicationServer"
	ourVersion  = "appserver.dev/v1alpha1"
)

// versions maps a WebOTX apiVersion to its number (WebOTX 10.4: v2, 11.1:
// v3, 11.2: v4).
var versions = map[string]int{
	webotxGroup + "/v2": 2,
	webotxGroup + "/v3": 3,
	webotxGroup + "/v4": 4,
}

// Finding is one field of the input that was not carried (Loss) or was
// carried with a change the user should know of (a note).
type Finding struct {
	// Object names the converted object: "document 2 (shop)",
	// "document 1, items[3] (shop)".
	Object string
	// Path of the field in the WebOTX object, e.g. spec.deployment.restartPolicy.
	Path string
	// Reason says why it was not carried, or what changed.
	Reason string
	// Loss is true when the field's meaning is not carried.
	Loss bool
}

// String is the finding as one line of `convert`'s stderr.
func (f Finding) String() string {
	what := "note"
	if f.Loss {
		what = "not carried"
	}
	return fmt.Sprintf("%s: %s: %s: %s", f.Object, f.Path, what, f.Reason)
}

// Result is the converted stream and what the conversion found.
type Result struct {
	// Output holds the documents of the input, in order, WebOTX
	// ApplicationServers converted, every other object unchanged.
	Output []byte
	// Converted counts the ApplicationServers converted.
	Converted int
	// Findings lists losses and notes, in input order.
	Findings []Finding
}

// Losses counts the findings that are losses.
func (r *Result) Losses() int {
	n := 0
	for _, f := range r.Findings {
		if f.Loss {
			n++
		}
	}
	return n
}

// Convert converts every WebOTX ApplicationServer of a YAML (or JSON) stream
// of documents; a document may be a List (kind List or
// ApplicationServerList), whose items are converted one by one into a v1
// List. It fails only when the input cannot be read: not YAML, a document
// that is not an object, or a WebOTX version it does not know.
func Convert(input []byte) (*Result, error) {
	res := &Result{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(input)))
	var out [][]byte
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading document %d: %w", n, err)
		}
		obj, err := decode(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if obj == nil {
			continue // empty, or only comments
		}
		where := fmt.Sprintf("document %d", n)
		converted, err := res.convertObject(where, obj)
		if err != nil {
			return nil, err
		}
		b, err := yaml.Marshal(converted)
		if err != nil {
			return nil, fmt.Errorf("%s: writing YAML: %w", where, err)
		}
		out = append(out, b)
	}
	res.Output = bytes.Join(out, []byte("---\n"))
	return res, nil
}

// decode reads one YAML document into JSON-like values, numbers as
// json.Number so that integers stay exact. It returns nil for an empty
// document.
func decode(doc []byte) (map[string]any, error) {
	j, err := yaml.YAMLToJSONStrict(doc) // strict: a duplicate key is an error, not a silent loss
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if s := strings.TrimSpace(string(j)); s == "null" || s == "" {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object (a mapping with apiVersion and kind)")
	}
	return obj, nil
}

// convertObject converts one object: a WebOTX ApplicationServer, a list of
// objects, or anything else (returned unchanged).
func (r *Result) convertObject(where string, obj map[string]any) (map[string]any, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	isWebOTX := strings.HasPrefix(apiVersion, webotxGroup+"/")
	switch {
	case kind == "List" || (isWebOTX && kind == kindServer+"List"):
		items, ok := obj["items"].([]any)
		if !ok && obj["items"] != nil {
			return nil, fmt.Errorf("%s: %s: items is not a list", where, kind)
		}
		outItems := make([]any, 0, len(items))
		for i, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: items[%d] is not an object", where, i)
			}
			c, err := r.convertObject(fmt.Sprintf("%s, items[%d]", where, i), m)
			if err != nil {
				return nil, err
			}
			outItems = append(outItems, c)
		}
		list := map[string]any{"apiVersion": "v1", "kind": "List", "items": outItems}
		if md, ok := obj["metadata"]; ok && kind == "List" {
			list["metadata"] = md
		}
		return list, nil
	case isWebOTX && kind == kindServer:
		version, ok := versions[apiVersion]
		if !ok {
			return nil, fmt.Errorf("%s: apiVersion %s: the converter reads webotx.nec.com/v2, v3 and v4", where, apiVersion)
		}
		if name, _ := nested(obj, "metadata", "name").(string); name != "" {
			where += " (" + name + ")"
		}
		c := &converter{version: version, object: where, out: map[string]any{}, setBy: map[string]string{}}
		out := c.convert(obj)
		r.Findings = append(r.Findings, c.findings...)
		r.Converted++
		return out, nil
	default:
		return obj, nil
	}
}

// nested returns the value at a path of object keys, nil when absent.
func nested(obj map[string]any, keys ...string) any {
	var v any = obj
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
