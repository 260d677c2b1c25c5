package convert

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	kjson "sigs.k8s.io/json"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// converter converts one WebOTX ApplicationServer.
type converter struct {
	version  int    // WebOTX API version: 2, 3 or 4
	object   string // names the object in findings
	in       map[string]any
	out      map[string]any
	setBy    map[string]string // our concrete path → the WebOTX path that set it
	findings []Finding
}

func (c *converter) loss(path, format string, args ...any) {
	c.findings = append(c.findings, Finding{Object: c.object, Path: path, Reason: fmt.Sprintf(format, args...), Loss: true})
}

func (c *converter) note(path, format string, args ...any) {
	c.findings = append(c.findings, Finding{Object: c.object, Path: path, Reason: fmt.Sprintf(format, args...)})
}

// convert walks the whole input, then applies the fix-ups that need more
// than one field, then checks the result against our API's Go types.
func (c *converter) convert(obj map[string]any) map[string]any {
	c.in = obj
	c.out["apiVersion"] = ourVersion
	c.out["kind"] = kindServer
	for _, k := range sortedKeys(obj) {
		c.walk(k, k, nil, obj[k])
	}
	c.fixups()
	c.check()
	return c.out
}

// walk handles the value v found at the concrete path (pattern: the same
// with list indices written []; idx: those indices).
func (c *converter) walk(path, pattern string, idx []int, v any) {
	r, ok := ruleFor[pattern]
	if !ok {
		c.loss(path, "unknown field: not in WebOTX's API (v2, v3, v4) nor in the converter's table")
		return
	}
	if v == nil {
		return // an explicit null: the field is unset
	}
	if r.since > c.version {
		c.note(path, "not in webotx.nec.com/v%d (added in v%d), carried as the later versions mean it", c.version, r.since)
	}
	switch r.kind {
	case kDrop:
		return
	case kLost:
		c.loss(path, "%s", r.why)
		return
	case kCustom:
		r.custom(c, path, idx, v)
		return
	case kObject:
		m, ok := v.(map[string]any)
		if !ok {
			c.loss(path, "want an object, got %s", describe(v))
			return
		}
		if r.keep && r.to != "" {
			c.set(r.to, idx, path, map[string]any{})
		}
		// WebOTX's own fields first, so that they win over another
		// spelling of the same field (hostName for hostname).
		keys := sortedKeys(m)
		slices.SortStableFunc(keys, func(a, b string) int {
			return cmpBool(isAlias(pattern+"."+a), isAlias(pattern+"."+b))
		})
		for _, k := range keys {
			c.walk(path+"."+k, pattern+"."+k, idx, m[k])
		}
		return
	case kList:
		l, ok := v.([]any)
		if !ok {
			c.loss(path, "want a list, got %s", describe(v))
			return
		}
		for i, item := range l {
			c.walk(fmt.Sprintf("%s[%d]", path, i), pattern+"[]", append(slices.Clone(idx), i), item)
		}
		return
	}
	val, err := r.value(v)
	if err != nil {
		c.loss(path, "%v", err)
		return
	}
	if r.why != "" {
		c.note(path, "%s", r.why)
	}
	c.set(r.to, idx, path, val)
}

// value checks v against the rule's kind and returns what is written.
func (r *rule) value(v any) (any, error) {
	switch r.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		if len(r.enum) > 0 && !slices.Contains(r.enum, s) {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(r.enum, ", "))
		}
		return s, nil
	case kText: // WebOTX's Jaeger values are strings; a number or boolean written without quotes means the same
		switch t := v.(type) {
		case string:
			return t, nil
		case json.Number:
			return t.String(), nil
		case bool:
			return strconv.FormatBool(t), nil
		}
		return nil, fmt.Errorf("want a string, got %s", describe(v))
	case kInt:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("want an integer, got %s", describe(v))
		}
		if _, err := strconv.ParseInt(n.String(), 10, 32); err != nil {
			return nil, fmt.Errorf("want a 32-bit integer, got %s", n)
		}
		return n, nil
	case kBool:
		if _, ok := v.(bool); !ok {
			return nil, fmt.Errorf("want true or false, got %s", describe(v))
		}
		return v, nil
	case kIntOrString:
		switch t := v.(type) {
		case string:
			return t, nil
		case json.Number:
			if _, err := strconv.ParseInt(t.String(), 10, 32); err != nil {
				return nil, fmt.Errorf("want a 32-bit integer or a name, got %s", t)
			}
			return t, nil
		}
		return nil, fmt.Errorf("want a number or a name, got %s", describe(v))
	case kQuantity:
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case json.Number:
			s = t.String()
		default:
			return nil, fmt.Errorf("want a quantity (like 500m or 1Gi), got %s", describe(v))
		}
		if _, err := resource.ParseQuantity(s); err != nil {
			return nil, fmt.Errorf("want a quantity (like 500m or 1Gi), got %q", s)
		}
		return v, nil
	case kStrings:
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got %s", describe(v))
		}
		for i, e := range l {
			if _, ok := e.(string); !ok {
				return nil, fmt.Errorf("item %d: want a string, got %s", i, describe(e))
			}
		}
		return l, nil
	case kStringMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("want a map of strings, got %s", describe(v))
		}
		for _, k := range sortedKeys(m) {
			if _, ok := m[k].(string); !ok {
				return nil, fmt.Errorf("%s: want a string, got %s", k, describe(m[k]))
			}
		}
		return m, nil
	case kTyped:
		// Kubernetes' own types (probes, resources, DNS config, ...): the
		// value must decode, case-sensitively and with no unknown field,
		// into the type our API uses for it.
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		target := reflect.New(r.typ).Interface()
		strict, err := kjson.UnmarshalStrict(raw, target)
		if err != nil {
			return nil, fmt.Errorf("not a valid %s: %w", r.typ.Name(), err)
		}
		if len(strict) > 0 {
			msgs := make([]string, len(strict))
			for i, e := range strict {
				msgs[i] = e.Error()
			}
			return nil, fmt.Errorf("not a valid %s: %s", r.typ.Name(), strings.Join(msgs, "; "))
		}
		return v, nil
	}
	return nil, fmt.Errorf("the converter has no way to carry a %v", r.kind)
}

// set writes val at our path to (its [] filled with idx), unless another
// WebOTX field already wrote something else there.
func (c *converter) set(to string, idx []int, from string, val any) {
	segs := parsePath(to, idx)
	concrete := segsString(segs)
	if prev, ok := c.setBy[concrete]; ok {
		if old := get(c.out, segs); old != nil && !reflect.DeepEqual(old, val) && !isEmptyMap(old) {
			c.loss(from, "%s is also given by %s with another value; the converter kept that one", concrete, prev)
			return
		}
	}
	if !isEmptyMap(val) {
		c.setBy[concrete] = from
	}
	put(c.out, segs, val)
}

func isEmptyMap(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// seg is one step of a path: a key, or a list index (key "").
type seg struct {
	key   string
	index int
}

// parsePath splits "spec.service.ports[].name" into segments, taking the
// list indices from idx in order.
func parsePath(p string, idx []int) []seg {
	var segs []seg
	n := 0
	for _, part := range strings.Split(p, ".") {
		key, lists := strings.CutSuffix(part, "[]")
		segs = append(segs, seg{key: key})
		if lists {
			i := 0
			if n < len(idx) {
				i = idx[n]
			}
			n++
			segs = append(segs, seg{index: i})
		}
	}
	return segs
}

func segsString(segs []seg) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.key == "":
			fmt.Fprintf(&b, "[%d]", s.index)
		case i == 0:
			b.WriteString(s.key)
		default:
			b.WriteString("." + s.key)
		}
	}
	return b.String()
}

// get returns the value at segs in root, nil when absent.
func get(root map[string]any, segs []seg) any {
	var v any = root
	for _, s := range segs {
		switch t := v.(type) {
		case map[string]any:
			if s.key == "" {
				return nil
			}
			v = t[s.key]
		case []any:
			if s.key != "" || s.index >= len(t) {
				return nil
			}
			v = t[s.index]
		default:
			return nil
		}
	}
	return v
}

// put writes val at segs in root, making the objects and lists on the way.
// An existing empty object at the end is merged into rather than replaced.
func put(root map[string]any, segs []seg, val any) {
	var parent any = root
	for i, s := range segs {
		last := i == len(segs)-1
		var next any
		if !last {
			if segs[i+1].key == "" {
				next = []any{}
			} else {
				next = map[string]any{}
			}
		}
		switch p := parent.(type) {
		case map[string]any:
			if last {
				if isEmptyMap(val) && p[s.key] != nil {
					return // an object's presence is already recorded
				}
				p[s.key] = val
				return
			}
			if p[s.key] == nil {
				p[s.key] = next
			}
			// Lists are grown in place below, so re-read through the parent.
			if l, ok := p[s.key].([]any); ok && segs[i+1].key == "" {
				p[s.key] = grow(l, segs[i+1].index)
			}
			parent = p[s.key]
		case []any:
			if last {
				p[s.index] = val
				return
			}
			if p[s.index] == nil {
				p[s.index] = next
			}
			parent = p[s.index]
		default:
			return // a value of another shape is in the way; check() reports the result
		}
	}
}

// grow makes l at least n+1 long, new items being empty objects.
func grow(l []any, n int) []any {
	for len(l) <= n {
		l = append(l, map[string]any{})
	}
	return l
}

// check decodes the result into our API's Go type, strictly: a value of the
// wrong shape or an unknown field there is the converter's bug or an input
// value it let through, and is reported rather than written silently.
func (c *converter) check() {
	raw, err := json.Marshal(c.out)
	if err != nil {
		c.loss("spec", "the result cannot be written as JSON: %v", err)
		return
	}
	var as v1alpha1.ApplicationServer
	strict, err := kjson.UnmarshalStrict(raw, &as)
	if err != nil {
		c.loss("spec", "the result does not fit appserver.dev/v1alpha1: %v", err)
		return
	}
	for _, e := range strict {
		c.loss("spec", "the result does not fit appserver.dev/v1alpha1: %v", e)
	}
}

// isAlias: a spelling of a field WebOTX's CRD spells otherwise.
func isAlias(pattern string) bool {
	r, ok := ruleFor[pattern]
	return ok && r.since == 0 && r.to != "" && !strings.HasPrefix(pattern, "metadata.")
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describe names a value's shape for an error message.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return "the boolean " + strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
