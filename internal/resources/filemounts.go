package resources

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// secretFileMode is the mode of files mounted from Secrets: owner and group
// read (the server may run as any user of the pod's fsGroup).
const secretFileMode int32 = 0o440

// fileItem is the file name of a mounted key inside its volume.
const fileItem = "file"

// withStorage adds the volumes and mounts of server.fileMounts (one key
// each, read-only, through subPath), server.replacement and
// server.persistence to the pod.
func withStorage(spec *corev1.PodSpec, c *corev1.Container, as *v1alpha1.ApplicationServer) {
	s := as.Spec.Server
	if fm := s.FileMounts; fm != nil {
		for i, m := range fm.ConfigMaps {
			name := VolumeFileMountConfigMapPrefix + strconv.Itoa(i)
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: m.Name},
					Items:                []corev1.KeyToPath{{Key: m.Key, Path: fileItem}},
				}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: m.Path, SubPath: fileItem, ReadOnly: true})
		}
		for i, m := range fm.Secrets {
			name := VolumeFileMountSecretPrefix + strconv.Itoa(i)
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{
					SecretName: m.Name,
					Items:      []corev1.KeyToPath{{Key: m.Key, Path: fileItem, Mode: ptr.To(secretFileMode)}},
				}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: m.Path, SubPath: fileItem, ReadOnly: true})
		}
	}
	if r := s.Replacement; r != nil && r.PersistentVolumeClaimName != "" {
		spec.Volumes = append(spec.Volumes, pvcVolume(VolumeReplacement, r.PersistentVolumeClaimName, false))
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeReplacement, MountPath: ReplacementMountPath})
	}
	if p := s.Persistence; p != nil {
		spec.Volumes = append(spec.Volumes, pvcVolume(VolumePersistence, p.ClaimName, p.ReadOnly))
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{
			Name: VolumePersistence, MountPath: p.MountPath, SubPath: p.SubPath, ReadOnly: p.ReadOnly,
		})
	}
}

func pvcVolume(name, claim string, readOnly bool) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim, ReadOnly: readOnly},
	}}
}
