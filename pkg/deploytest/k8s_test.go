package deploytest

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// manifests is one rendered kustomization, decoded strictly (unknown fields
// are errors, as kubectl's server-side validation would report them).
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	jobs        map[string]*batchv1.Job
	namespaces  []string
}

// kustomize renders dir (relative to deploy/k8s) with kubectl's built-in
// kustomize; the test is skipped when kubectl is missing.
func kustomize(t *testing.T, dir string) manifests {
	t.Helper()
	kubectl := lookTool(t, "kubectl")
	out, err := exec.Command(kubectl, "kustomize", path(t, "deploy", "k8s", dir)).CombinedOutput()
	require.NoError(t, err, "kubectl kustomize %s: %s", dir, out)
	return decode(t, out)
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func decode(t *testing.T, stream []byte) manifests {
	t.Helper()
	m := manifests{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, jobs: map[string]*batchv1.Job{},
	}
	for _, doc := range docSep.Split(string(stream), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		name := meta.Metadata.Name
		var target any
		switch meta.APIVersion + "/" + meta.Kind {
		case "apps/v1/Deployment":
			m.deployments[name] = &appsv1.Deployment{}
			target = m.deployments[name]
		case "v1/Service":
			m.services[name] = &corev1.Service{}
			target = m.services[name]
		case "autoscaling/v2/HorizontalPodAutoscaler":
			m.hpas[name] = &autoscalingv2.HorizontalPodAutoscaler{}
			target = m.hpas[name]
		case "policy/v1/PodDisruptionBudget":
			m.pdbs[name] = &policyv1.PodDisruptionBudget{}
			target = m.pdbs[name]
		case "v1/ConfigMap":
			m.configMaps[name] = &corev1.ConfigMap{}
			target = m.configMaps[name]
		case "v1/Secret":
			m.secrets[name] = &corev1.Secret{}
			target = m.secrets[name]
		case "batch/v1/Job":
			m.jobs[name] = &batchv1.Job{}
			target = m.jobs[name]
		case "v1/Namespace":
			m.namespaces = append(m.namespaces, name)
			target = &corev1.Namespace{}
		default:
			t.Fatalf("unexpected object %s %s %s: add it to the test", meta.APIVersion, meta.Kind, name)
		}
		require.NoError(t, yaml.UnmarshalStrict([]byte(doc), target), "%s %s", meta.Kind, name)
	}
	return m
}

// byPrefix finds the object whose name is prefix or prefix-<hash> (config
// maps get a content hash suffix from configMapGenerator).
func byPrefix[V any](objs map[string]V, prefix string) (V, bool) {
	for name, v := range objs {
		if name == prefix || strings.HasPrefix(name, prefix+"-") {
			return v, true
		}
	}
	var zero V
	return zero, false
}

func TestKustomizeBase(t *testing.T) {
	m := kustomize(t, "base")
	checkManifests(t, m, func(t *testing.T, svc, image string) {
		assert.Equal(t, "cem/"+svc+":dev", image)
	})
	secret, ok := m.secrets["cem-secrets"]
	require.True(t, ok, "base ships placeholder secrets")
	for _, k := range []string{"CEM_WRITE_KEYS", "CEM_QUERY_TOKENS", "CEM_CLICKHOUSE_PASSWORD"} {
		assert.Contains(t, secret.StringData, k)
	}
	assert.Equal(t, 5, int(*m.deployments["cem-processor"].Spec.Replicas))
}

func TestKustomizeProduction(t *testing.T) {
	m := kustomize(t, "overlays/production")
	checkManifests(t, m, func(t *testing.T, svc, image string) {
		assert.Regexp(t, `^[a-z0-9.-]+(:\d+)?/.+/`+svc+`:[0-9A-Za-z._-]+$`, image, "registry image with a pinned tag")
		assert.NotRegexp(t, `:(dev|latest)$`, image)
	})
	assert.Empty(t, m.secrets, "production secrets are managed outside Git")
	assert.Equal(t, 11, int(*m.deployments["cem-processor"].Spec.Replicas))
	assert.GreaterOrEqual(t, *m.hpas["cem-collector"].Spec.MinReplicas, int32(3))
}

// checkManifests holds the rules every rendering must satisfy.
func checkManifests(t *testing.T, m manifests, checkImage func(t *testing.T, svc, image string)) {
	t.Helper()
	assert.Equal(t, []string{"cem"}, m.namespaces)
	topics, ok := m.configMaps["cem-kafka-topics"]
	require.True(t, ok, "cem-kafka-topics ConfigMap")
	_, err := strconv.Atoi(topics.Data["CEM_TOPIC_PARTITIONS"])
	require.NoError(t, err, "CEM_TOPIC_PARTITIONS is a number")
	assert.Equal(t, "3", topics.Data["CEM_TOPIC_REPLICATION"], "replication factor 3")
	assert.Equal(t, "2", topics.Data["CEM_TOPIC_MIN_ISR"], "min.insync.replicas=2")
	assert.NotEmpty(t, topics.Data["CEM_TOPIC_RETENTION_MS"])
	assert.NotEmpty(t, topics.Data["CEM_DLQ_RETENTION_MS"])
	_, ok = byPrefix(m.configMaps, "cem-kafka-topics-script")
	assert.True(t, ok, "topics script ConfigMap")
	job, ok := m.jobs["cem-kafka-topics"]
	require.True(t, ok, "topics Job")
	checkPodSecurity(t, "job cem-kafka-topics", job.Spec.Template.Spec)

	for svc, port := range services {
		t.Run(svc, func(t *testing.T) {
			name := "cem-" + svc
			d, ok := m.deployments[name]
			require.True(t, ok, "Deployment %s", name)
			tmpl := d.Spec.Template
			want := map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/component": svc, "app.kubernetes.io/part-of": "cem"}
			for k, v := range want {
				assert.Equal(t, v, d.Labels[k], "deployment label %s", k)
				assert.Equal(t, v, tmpl.Labels[k], "pod label %s", k)
			}
			require.NotNil(t, d.Spec.Selector)
			for k, v := range d.Spec.Selector.MatchLabels {
				assert.Equal(t, v, tmpl.Labels[k], "selector %s matches the pod template", k)
			}
			assert.Equal(t, "true", tmpl.Annotations["prometheus.io/scrape"])
			assert.Equal(t, strconv.Itoa(port), tmpl.Annotations["prometheus.io/port"])
			checkPodSecurity(t, name, tmpl.Spec)
			require.Len(t, tmpl.Spec.Containers, 1)
			c := tmpl.Spec.Containers[0]
			checkImage(t, svc, c.Image)
			require.Len(t, c.Ports, 1)
			assert.Equal(t, int32(port), c.Ports[0].ContainerPort)
			checkProbe(t, "readiness", c.ReadinessProbe, "/readyz", c.Ports[0])
			checkProbe(t, "liveness", c.LivenessProbe, "/healthz", c.Ports[0])
			checkResources(t, c.Resources)
			assert.True(t, slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool {
				return e.ConfigMapRef != nil && e.ConfigMapRef.Name == "cem-config"
			}), "envFrom cem-config")
			assert.GreaterOrEqual(t, *tmpl.Spec.TerminationGracePeriodSeconds, int64(30), "room for a graceful drain")

			pdb, ok := m.pdbs[name]
			require.True(t, ok, "PodDisruptionBudget %s", name)
			assert.Equal(t, d.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels)
			assert.True(t, pdb.Spec.MaxUnavailable != nil || pdb.Spec.MinAvailable != nil)

			s, ok := m.services[name]
			require.True(t, ok, "Service %s", name)
			for k, v := range s.Spec.Selector {
				assert.Equal(t, v, tmpl.Labels[k], "service selects the pods")
			}
			for _, p := range s.Spec.Ports {
				assert.Equal(t, c.Ports[0].Name, p.TargetPort.String(), "service targets the named container port")
			}
		})
	}

	secretEnv := map[string][]string{
		"cem-collector": {"CEM_WRITE_KEYS"},
		"cem-query":     {"CEM_QUERY_TOKENS", "CEM_CLICKHOUSE_PASSWORD"},
		"cem-processor": {"CEM_CLICKHOUSE_PASSWORD"},
	}
	for name, wantKeys := range secretEnv {
		got := map[string]bool{}
		for _, e := range m.deployments[name].Spec.Template.Spec.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "cem-secrets" {
				assert.Equal(t, e.Name, e.ValueFrom.SecretKeyRef.Key)
				got[e.Name] = true
			}
		}
		for _, k := range wantKeys {
			assert.True(t, got[k], "%s reads %s from cem-secrets", name, k)
		}
	}

	collector := m.deployments["cem-collector"]
	assert.Nil(t, collector.Spec.Replicas, "the HPA owns the collector's replicas")
	hpa, ok := m.hpas["cem-collector"]
	require.True(t, ok, "collector HPA")
	assert.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
	assert.Equal(t, "cem-collector", hpa.Spec.ScaleTargetRef.Name)
	require.NotNil(t, hpa.Spec.MinReplicas)
	assert.GreaterOrEqual(t, *hpa.Spec.MinReplicas, int32(2))
	assert.Greater(t, hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas)
	assert.Len(t, m.hpas, 1, "only the collector autoscales")

	proc := m.deployments["cem-processor"]
	require.NotNil(t, proc.Spec.Replicas)
	assert.NotNil(t, proc.Spec.Template.Spec.Containers[0].StartupProbe, "processor migrates at start: startup probe")
	assert.Equal(t, "false", envValue(proc, "CEM_SCORES_ENABLED"), "the scaled processors do not score")

	// The scorer runs on exactly one processor: a singleton Deployment of the
	// same binary in the same consumer group.
	scorer, ok := m.deployments["cem-processor-scorer"]
	require.True(t, ok, "cem-processor-scorer Deployment")
	require.NotNil(t, scorer.Spec.Replicas)
	assert.Equal(t, int32(1), *scorer.Spec.Replicas)
	assert.Equal(t, appsv1.RecreateDeploymentStrategyType, scorer.Spec.Strategy.Type, "never two scorers during a rollout")
	assert.Equal(t, "true", envValue(scorer, "CEM_SCORES_ENABLED"))
	assert.Equal(t, envValue(proc, "CEM_PROCESSOR_GROUP"), envValue(scorer, "CEM_PROCESSOR_GROUP"), "same consumer group")
	sc := scorer.Spec.Template.Spec.Containers[0]
	assert.Equal(t, proc.Spec.Template.Spec.Containers[0].Image, sc.Image)
	checkProbe(t, "readiness", sc.ReadinessProbe, "/readyz", sc.Ports[0])
	checkProbe(t, "liveness", sc.LivenessProbe, "/healthz", sc.Ports[0])
	checkPodSecurity(t, "cem-processor-scorer", scorer.Spec.Template.Spec)
	assert.Equal(t, "processor", scorer.Spec.Template.Labels["app.kubernetes.io/component"], "scraped as job cem-processor")
	for k, v := range proc.Spec.Selector.MatchLabels {
		if scorer.Spec.Template.Labels[k] != v {
			return
		}
	}
	t.Error("cem-processor's selector must not match the scorer's pods")
}

// TestProcessorMembersDivideThePartitions: every group member owns the same
// number of partitions of cem.events, and none is idle.
func TestProcessorMembersDivideThePartitions(t *testing.T) {
	for _, dir := range []string{"base", "overlays/production"} {
		t.Run(dir, func(t *testing.T) {
			m := kustomize(t, dir)
			partitions, err := strconv.Atoi(m.configMaps["cem-kafka-topics"].Data["CEM_TOPIC_PARTITIONS"])
			require.NoError(t, err)
			members := int(*m.deployments["cem-processor"].Spec.Replicas + *m.deployments["cem-processor-scorer"].Spec.Replicas)
			assert.LessOrEqual(t, members, partitions, "no idle processors")
			assert.Zero(t, partitions%members, "group members (%d) divide the partitions of cem.events (%d)", members, partitions)
		})
	}
}

func envValue(d *appsv1.Deployment, name string) string {
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func checkProbe(t *testing.T, kind string, p *corev1.Probe, wantPath string, port corev1.ContainerPort) {
	t.Helper()
	require.NotNil(t, p, "%s probe", kind)
	require.NotNil(t, p.HTTPGet, "%s probe is HTTP", kind)
	assert.Equal(t, wantPath, p.HTTPGet.Path, "%s probe path", kind)
	assert.Contains(t, []string{port.Name, strconv.Itoa(int(port.ContainerPort))}, p.HTTPGet.Port.String(), "%s probe port", kind)
}

func checkResources(t *testing.T, r corev1.ResourceRequirements) {
	t.Helper()
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, ok := r.Requests[res]
		require.True(t, ok, "request %s", res)
		lim, ok := r.Limits[res]
		require.True(t, ok, "limit %s", res)
		assert.LessOrEqual(t, req.Cmp(lim), 0, "%s request %s <= limit %s", res, req.String(), lim.String())
	}
}

func checkPodSecurity(t *testing.T, what string, spec corev1.PodSpec) {
	t.Helper()
	psc := spec.SecurityContext
	require.NotNil(t, psc, "%s pod securityContext", what)
	require.NotNil(t, psc.RunAsNonRoot)
	assert.True(t, *psc.RunAsNonRoot, "%s runs as non-root", what)
	require.NotNil(t, psc.RunAsUser)
	assert.NotZero(t, *psc.RunAsUser, "%s uid", what)
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		require.NotNil(t, sc, "%s container %s securityContext", what, c.Name)
		require.NotNil(t, sc.AllowPrivilegeEscalation)
		assert.False(t, *sc.AllowPrivilegeEscalation)
		require.NotNil(t, sc.ReadOnlyRootFilesystem)
		assert.True(t, *sc.ReadOnlyRootFilesystem)
		require.NotNil(t, sc.Capabilities)
		assert.Contains(t, sc.Capabilities.Drop, corev1.Capability("ALL"))
		checkResources(t, c.Resources)
	}
}

// TestKubernetesRawFiles strictly decodes every file of the base and the
// Strimzi topics without kubectl, so a typo in a field name fails even where
// kustomize is not installed.
func TestKubernetesRawFiles(t *testing.T) {
	var kust struct {
		Resources []string `json:"resources"`
	}
	readYAML(t, &kust, "deploy", "k8s", "base", "kustomization.yaml")
	var all bytes.Buffer
	for _, f := range kust.Resources {
		all.Write(readFile(t, "deploy", "k8s", "base", f))
		all.WriteString("\n---\n")
	}
	m := decode(t, all.Bytes())
	for svc := range services {
		assert.Contains(t, m.deployments, "cem-"+svc)
	}

	// The Strimzi alternative declares the same topic layout as the Job's ConfigMap.
	topics := m.configMaps["cem-kafka-topics"].Data
	seen := map[string]bool{}
	for _, doc := range docSep.Split(string(readFile(t, "deploy", "k8s", "strimzi", "kafka-topics.yaml")), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var one struct {
			Metadata struct{ Name string } `json:"metadata"`
			Spec     struct {
				Partitions int            `json:"partitions"`
				Replicas   int            `json:"replicas"`
				Config     map[string]any `json:"config"`
			} `json:"spec"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &one))
		want := map[string][2]string{
			"cem.events":     {topics["CEM_TOPIC_PARTITIONS"], topics["CEM_TOPIC_RETENTION_MS"]},
			"cem.events.dlq": {topics["CEM_DLQ_PARTITIONS"], topics["CEM_DLQ_RETENTION_MS"]},
			"cem.alerts":     {topics["CEM_ALERTS_PARTITIONS"], topics["CEM_ALERTS_RETENTION_MS"]},
		}[one.Metadata.Name]
		require.NotEmpty(t, want[0], "unexpected topic %s", one.Metadata.Name)
		seen[one.Metadata.Name] = true
		assert.Equal(t, want[0], strconv.Itoa(one.Spec.Partitions), "%s partitions", one.Metadata.Name)
		assert.Equal(t, topics["CEM_TOPIC_REPLICATION"], strconv.Itoa(one.Spec.Replicas))
		assert.Equal(t, topics["CEM_TOPIC_MIN_ISR"], fmt.Sprint(one.Spec.Config["min.insync.replicas"]))
		assert.Equal(t, want[1], fmt.Sprint(int64(one.Spec.Config["retention.ms"].(float64))))
	}
	assert.Len(t, seen, 3, "Strimzi declares cem.events, cem.events.dlq and cem.alerts")
	assert.Equal(t, "cem.alerts", topics["CEM_ALERTS_TOPIC"])
}
