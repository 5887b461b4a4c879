package deploy

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join(Root, "deploy", "helm", "dray")

const namespace = "dray-system"

// services are Dray's services as the chart deploys them, each a binary dray-<service> whose
// NATS role is its name (pkg/bus/README.md "Who may do what on the bus").
var services = []string{"gateway", "scheduler", "state", "warehouse",
	"executor-git", "executor-config", "executor-argocd", "executor-http", "executor-container"}

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) the chart writes, with
// the field names of KEDA's documentation of the nats-jetstream scaler; decoded strictly, a
// misspelt field fails.
type scaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// rendered is a chart rendered and decoded.
type rendered struct {
	deployments  map[string]*appsv1.Deployment // by name
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	configMaps   map[string]*corev1.ConfigMap
	pdbs         map[string]*policyv1.PodDisruptionBudget
	scaled       map[string]*scaledObject
	podMonitors  map[string]*monitoringv1.PodMonitor
}

// render renders the chart as `helm template` would, with values over the chart's, and
// decodes every object strictly into its Kubernetes API type: an unknown kind or field fails.
func render(t *testing.T, release, values string) *rendered {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load the chart: %v", err)
	}
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	top, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		t.Fatalf("render the chart: %v", err)
	}
	r := &rendered{deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, scaled: map[string]*scaledObject{},
		podMonitors: map[string]*monitoringv1.PodMonitor{}}
	names := sortedKeys(files)
	for _, file := range names {
		if filepath.Ext(file) != ".yaml" {
			continue
		}
		for _, doc := range releaseutil.SplitManifests(files[file]) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v\n%s", file, err, doc)
			}
			var obj any
			var name *string
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				o := &appsv1.Deployment{}
				obj, name = o, &o.Name
				defer func() { r.deployments[o.Name] = o }()
			case "apps/v1 StatefulSet":
				o := &appsv1.StatefulSet{}
				obj, name = o, &o.Name
				defer func() { r.statefulSets[o.Name] = o }()
			case "v1 Service":
				o := &corev1.Service{}
				obj, name = o, &o.Name
				defer func() { r.services[o.Name] = o }()
			case "v1 ConfigMap":
				o := &corev1.ConfigMap{}
				obj, name = o, &o.Name
				defer func() { r.configMaps[o.Name] = o }()
			case "policy/v1 PodDisruptionBudget":
				o := &policyv1.PodDisruptionBudget{}
				obj, name = o, &o.Name
				defer func() { r.pdbs[o.Name] = o }()
			case "keda.sh/v1alpha1 ScaledObject":
				o := &scaledObject{}
				obj, name = o, &o.Metadata.Name
				defer func() { r.scaled[o.Metadata.Name] = o }()
			case "monitoring.coreos.com/v1 PodMonitor":
				o := &monitoringv1.PodMonitor{}
				obj, name = o, &o.Name
				defer func() { r.podMonitors[o.Name] = o }()
			default:
				t.Fatalf("%s: no API type for %s %s: add it to this test\n%s", file, head.APIVersion, head.Kind, doc)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s %s does not decode strictly: %v\n%s", file, head.APIVersion, head.Kind, err, doc)
			}
			for _, msg := range validation.IsDNS1123Subdomain(*name) {
				t.Errorf("%s: %s name %q: %s", file, head.Kind, *name, msg)
			}
		}
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkChart(t *testing.T, r *rendered) {
	t.Helper()
	if len(r.deployments) == 0 {
		t.Fatal("no Deployments rendered")
	}
	// Services select pods, and their target ports are ports of those pods' containers.
	for _, svc := range r.services {
		pods := selected(r, svc.Spec.Selector)
		if len(pods) == 0 {
			t.Errorf("Service %s selects no pods", svc.Name)
		}
		for _, p := range svc.Spec.Ports {
			for _, pod := range pods {
				if _, ok := containerPort(pod, p.TargetPort.String()); !ok && p.TargetPort.IntValue() == 0 {
					t.Errorf("Service %s port %s: targetPort %s is no container port of its pods", svc.Name, p.Name, p.TargetPort.String())
				}
			}
		}
	}
	for _, d := range r.deployments {
		checkPodSpec(t, d.Name, d.Spec.Template.Spec)
		if !labelsMatch(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("Deployment %s: its selector does not select its pods", d.Name)
		}
	}
	for _, s := range r.statefulSets {
		checkPodSpec(t, s.Name, withClaims(s))
		if !labelsMatch(s.Spec.Selector.MatchLabels, s.Spec.Template.Labels) {
			t.Errorf("StatefulSet %s: its selector does not select its pods", s.Name)
		}
		if _, ok := r.services[s.Spec.ServiceName]; !ok {
			t.Errorf("StatefulSet %s: serviceName %s is not rendered", s.Name, s.Spec.ServiceName)
		}
	}
	for _, pdb := range r.pdbs {
		if len(selected(r, pdb.Spec.Selector.MatchLabels)) != 1 {
			t.Errorf("PodDisruptionBudget %s selects the pods of %d workloads, want 1", pdb.Name, len(selected(r, pdb.Spec.Selector.MatchLabels)))
		}
	}
}

// withClaims is the StatefulSet's pod spec with a volume per claim template, as each pod gets.
func withClaims(s *appsv1.StatefulSet) corev1.PodSpec {
	spec := *s.Spec.Template.Spec.DeepCopy()
	for _, c := range s.Spec.VolumeClaimTemplates {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: c.Name,
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
	}
	return spec
}

// selected are the pod templates of the workloads whose pods carry every label of sel.
func selected(r *rendered, sel map[string]string) []corev1.PodTemplateSpec {
	var out []corev1.PodTemplateSpec
	for _, d := range r.deployments {
		if labelsMatch(sel, d.Spec.Template.Labels) {
			out = append(out, d.Spec.Template)
		}
	}
	for _, s := range r.statefulSets {
		if labelsMatch(sel, s.Spec.Template.Labels) {
			out = append(out, s.Spec.Template)
		}
	}
	return out
}

func labelsMatch(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func containerPort(pod corev1.PodTemplateSpec, name string) (int32, bool) {
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name || strconv.Itoa(int(p.ContainerPort)) == name {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// checkPodSpec: probes name ports of their container, mounts name volumes of the pod, and the
// security context is the restricted one but where runc needs more.
func checkPodSpec(t *testing.T, owner string, spec corev1.PodSpec) {
	t.Helper()
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range spec.Containers {
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		for kind, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s: container %s has no HTTP %s probe", owner, c.Name, kind)
				continue
			}
			if !ports[p.HTTPGet.Port.String()] {
				t.Errorf("%s: container %s: %s probe on port %s, which it does not declare", owner, c.Name, kind, p.HTTPGet.Port.String())
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				t.Errorf("%s: container %s mounts volume %s, which the pod does not have", owner, c.Name, m.Name)
			}
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s has no memory request and limit", owner, c.Name)
		}
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: container %s has no securityContext", owner, c.Name)
			continue
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: root filesystem not read-only", owner, c.Name)
		}
		if strings.HasSuffix(owner, "-executor-container") {
			// runc: root and privileged (templates/deployments.yaml says why); Kubernetes
			// refuses privileged with allowPrivilegeEscalation false.
			if sc.Privileged == nil || !*sc.Privileged || sc.RunAsUser == nil || *sc.RunAsUser != 0 {
				t.Errorf("%s: the container executor must run as root, privileged: runc needs it", owner)
			}
			if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
				t.Errorf("%s: privileged with allowPrivilegeEscalation false is refused by the API server", owner)
			}
			continue
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
			(sc.Privileged != nil && *sc.Privileged) {
			t.Errorf("%s: container %s: securityContext %+v, want runAsNonRoot, no privilege escalation, every capability dropped", owner, c.Name, sc)
		}
	}
	if spec.SecurityContext == nil || spec.SecurityContext.SeccompProfile == nil || spec.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod without the RuntimeDefault seccomp profile", owner)
	}
}

// envOf sets the container's environment for the test (t.Setenv), as the kubelet would, and
// clears every other DRAY_ variable.
func envOf(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DRAY_") {
			t.Setenv(k, "")
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("container %s: env %s from a reference: this test reads values only", c.Name, e.Name)
		}
		t.Setenv(e.Name, e.Value)
	}
}

// mountOf is the volume mounted at the directory holding path, and the key of the Secret item
// the file comes from ("" when the volume is not a Secret).
func mountOf(pod corev1.PodSpec, c corev1.Container, path string) (v corev1.Volume, secretKey string, ok bool) {
	for _, m := range c.VolumeMounts {
		if path != m.MountPath && !strings.HasPrefix(path, m.MountPath+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.Secret != nil {
				rel := strings.TrimPrefix(strings.TrimPrefix(path, m.MountPath), "/")
				for _, it := range v.Secret.Items {
					if it.Path == rel {
						return v, it.Key, true
					}
				}
				if len(v.Secret.Items) == 0 {
					return v, rel, true
				}
				return v, "", false
			}
			return v, "", true
		}
	}
	return corev1.Volume{}, "", false
}

func portOf(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return int32(n)
}
