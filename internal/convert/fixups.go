package convert

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// WebOTX behaviour that our API spells differently or defaults otherwise.
const (
	// webotxIndex is the Elasticsearch index WebOTX's Logstash writes to
	// (ours defaults to appserver).
	webotxIndex = "webotx"
	// webotxMaxReplicas is WebOTX's default of horizontalPodAutoscaler.maxReplicas
	// (ours has none: it is required when the autoscaler is enabled).
	webotxMaxReplicas = 1
	// defaultCPUUtilization is the target Kubernetes gives an autoscaler
	// without metrics, which WebOTX creates when it is given none.
	defaultCPUUtilization = 80
)

var dns1035 = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// fixups handle what depends on more than one field, and write WebOTX's
// defaults where ours differ.
func (c *converter) fixups() {
	c.fixName()
	c.fixLogShipper()
	c.fixAutoscaler()
	c.fixService()
}

// fixName: our Service and DNS names need a DNS-1035 label.
func (c *converter) fixName() {
	name, _ := nested(c.out, "metadata", "name").(string)
	if name != "" && (len(name) > 63 || !dns1035.MatchString(name)) {
		c.loss("metadata.name", "%q is not a DNS-1035 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters), which appserver.dev requires: it names the Service; rename the object", name)
	}
}

func (c *converter) fixLogShipper() {
	es, _ := nested(c.out, "spec", "deployment", "logShipper", "elasticsearch").(map[string]any)
	if es != nil {
		es["index"] = webotxIndex
		c.note("spec.deployment.logstash.elasticsearch", "index %q written out: WebOTX's Logstash writes to it, appserver-operator defaults to \"appserver\"", webotxIndex)
	}
	logs := nested(c.out, "spec", "server", "application", "logs")
	if es != nil && logs == nil {
		c.note("spec.deployment.logstash", "no spec.webotx.application.logs: appserver-operator adds the log-shipper sidecar only for the files listed there, so nothing is shipped")
	}
	if logs == nil && nested(c.out, "spec", "deployment", "resources", "logShipper") != nil {
		c.note(c.setBy["spec.deployment.resources.logShipper"], "carried to spec.deployment.resources.logShipper, which applies only while spec.server.application.logs lists files (no sidecar otherwise)")
	}
	if logs != nil || nested(c.in, "spec", "deployment", "logstash") != nil {
		c.note("spec.deployment.logstash", "WebOTX's Logstash also shipped the domain's own logs (/opt/WebOTX/domains/*/logs/server.log, agent.log, ...); list the files you want in spec.server.application.logs")
	}
}

func (c *converter) fixAutoscaler() {
	hpa, _ := nested(c.out, "spec", "horizontalPodAutoscaler").(map[string]any)
	if hpa == nil {
		return
	}
	if _, ok := hpa["maxReplicas"]; !ok {
		hpa["maxReplicas"] = json.Number(fmt.Sprint(webotxMaxReplicas))
		c.note("spec.horizontalPodAutoscaler.maxReplicas", "written out as %d, WebOTX's default (appserver-operator has none)", webotxMaxReplicas)
	}
	rm, _ := hpa["resourceMetrics"].(map[string]any)
	for _, res := range []string{"cpu", "memory"} {
		if rm[res+"AverageUtilization"] != nil && rm[res+"AverageValue"] != nil {
			delete(rm, res+"AverageValue")
			c.loss("spec.horizontalPodAutoscaler.resourceMetrics."+res+"AverageValue",
				"%sAverageUtilization is set too; appserver-operator takes one target per resource and keeps the utilization", res)
		}
	}
	if enabled, _ := hpa["enabled"].(bool); enabled && len(rm) == 0 && hpa["podMetrics"] == nil {
		if rm == nil {
			rm = map[string]any{}
			hpa["resourceMetrics"] = rm
		}
		rm["cpuAverageUtilization"] = json.Number(fmt.Sprint(defaultCPUUtilization))
		c.note("spec.horizontalPodAutoscaler", "no metrics: cpuAverageUtilization %d written out, the target Kubernetes gave WebOTX's autoscaler (appserver-operator requires a metric)", defaultCPUUtilization)
	}
}

// fixService drops what Kubernetes takes only with another Service type or
// session affinity (it refuses such a Service, or ignores the field), and
// names unnamed ports (ours need a name).
func (c *converter) fixService() {
	svc, _ := nested(c.out, "spec", "service").(map[string]any)
	if svc == nil {
		return
	}
	typ, _ := svc["type"].(string)
	external := typ == "NodePort" || typ == "LoadBalancer"
	if svc["sessionAffinityConfig"] != nil && svc["sessionAffinity"] != "ClientIP" {
		delete(svc, "sessionAffinityConfig")
		c.note("spec.service.sessionAffinityConfig", "dropped: it has no effect without sessionAffinity ClientIP (Kubernetes refuses it)")
	}
	if svc["externalTrafficPolicy"] != nil && !external {
		delete(svc, "externalTrafficPolicy")
		c.note("spec.service.externalTrafficPolicy", "dropped: it has no effect on a %s Service", orClusterIP(typ))
	}
	if typ != "LoadBalancer" {
		for _, f := range []string{"loadBalancerIP", "loadBalancerSourceRanges"} {
			if svc[f] != nil {
				delete(svc, f)
				c.note("spec.service."+f, "dropped: it has no effect on a %s Service", orClusterIP(typ))
			}
		}
	}
	ports, _ := svc["ports"].([]any)
	for i, p := range ports {
		port, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if port["nodePort"] != nil && !external {
			delete(port, "nodePort")
			c.note(fmt.Sprintf("spec.service.ports[%d].nodePort", i), "dropped: a %s Service has no node ports (Kubernetes refuses it)", orClusterIP(typ))
		}
		if port["name"] == nil {
			if n, ok := port["port"].(json.Number); ok {
				port["name"] = "port-" + n.String()
				c.note(fmt.Sprintf("spec.service.ports[%d].name", i), "named %q: appserver-operator needs a name for every port", port["name"])
			}
		}
	}
}

func orClusterIP(typ string) string {
	if typ == "" {
		return "ClusterIP"
	}
	return typ
}
