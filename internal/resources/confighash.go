package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ConfigKind is the kind of a referenced configuration object.
type ConfigKind string

// Kinds of configuration objects a pod template references.
const (
	KindConfigMap ConfigKind = "ConfigMap"
	KindSecret    ConfigKind = "Secret"
)

// ConfigRef names a ConfigMap or Secret in the pod's namespace.
type ConfigRef struct {
	Kind ConfigKind
	Name string
}

func (r ConfigRef) String() string { return string(r.Kind) + "/" + r.Name }

// ConfigReferences lists, sorted and without duplicates, every ConfigMap and
// Secret a pod spec references: volumes (projected sources included), and
// env valueFrom and envFrom of every container, init containers and
// sidecars included. It walks the built spec, so every feature that adds a
// reference is covered without knowing about it. Image pull secrets are not
// configuration and are left out.
func ConfigReferences(spec *corev1.PodSpec) []ConfigRef {
	var out []ConfigRef
	add := func(k ConfigKind, name string) {
		if name != "" {
			out = append(out, ConfigRef{k, name})
		}
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			add(KindConfigMap, v.ConfigMap.Name)
		}
		if v.Secret != nil {
			add(KindSecret, v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					add(KindConfigMap, s.ConfigMap.Name)
				}
				if s.Secret != nil {
					add(KindSecret, s.Secret.Name)
				}
			}
		}
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil {
					add(KindConfigMap, e.ConfigMapRef.Name)
				}
				if e.SecretRef != nil {
					add(KindSecret, e.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					add(KindConfigMap, r.Name)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					add(KindSecret, r.Name)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b ConfigRef) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

// ConfigHash combines the per-object digests (by ConfigRef.String(); an
// object that does not exist has digest "") into the value of the pod
// template's config-hash annotation.
func ConfigHash(digests map[string]string) string {
	return digest(digests)[:32]
}

// DataDigest is the digest of a ConfigMap's or Secret's content: every key
// and value of data and binaryData, in key order.
func DataDigest(data map[string][]byte) string {
	return digest(data)
}

// digest hashes every key and value of m, in key order.
func digest[V string | []byte](m map[string]V) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(m[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WithConfigHash sets the config-hash annotation of a pod template; an
// empty hash (restartOnConfigChange off, or nothing referenced) sets none.
func WithConfigHash(t *corev1.PodTemplateSpec, hash string) {
	if hash == "" {
		return
	}
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Annotations[ConfigHashAnnotation] = hash
}
