package v1alpha1

// ApplicationSpec holds settings of the applications the server runs
// (WebOTX: spec.webotx.application).
type ApplicationSpec struct {
	// logs are the absolute paths of the log files the log-shipper sidecar
	// collects; a `*` glob is allowed in the file name. Each distinct
	// directory becomes an emptyDir shared by the server and the shipper.
	// Unset or empty: no sidecar.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Logs []LogPath `json:"logs,omitempty"`
}

// LogPath is the absolute path of a log file, with an optional `*` glob in
// the file name.
// +kubebuilder:validation:MinLength=2
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="must be an absolute path"
// +kubebuilder:validation:XValidation:rule="!self.endsWith('/')",message="must name a file, not a directory"
// +kubebuilder:validation:XValidation:rule="!self.matches('(^|/)\\\\.\\\\.?(/|$)')",message="must not contain . or .. segments"
// +kubebuilder:validation:XValidation:rule="!self.contains('//')",message="must not contain an empty segment (//)"
// +kubebuilder:validation:XValidation:rule="self.lastIndexOf('/') < 1 || !self.substring(0, self.lastIndexOf('/')).contains('*')",message="a * glob is allowed only in the file name"
// +kubebuilder:validation:XValidation:rule="self.lastIndexOf('/') > 0",message="must be in a directory other than /"
type LogPath string

// LogShipperSpec configures the log-shipper sidecar (WebOTX:
// spec.deployment.logstash). With neither elasticsearch nor otlp set, the
// records go to the sidecar's stdout (kubectl logs <pod> -c log-shipper).
// +kubebuilder:validation:XValidation:rule="!(has(self.elasticsearch) && has(self.otlp))",message="spec.deployment.logShipper: set elasticsearch or otlp, not both"
type LogShipperSpec struct {
	// image of the log-shipper sidecar. Defaults to the operator's
	// LOG_SHIPPER_IMAGE setting (the shipper of the operator's release).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// elasticsearch sends the records to Elasticsearch's bulk API (or a
	// store that speaks it: OpenSearch, VictoriaLogs).
	// +optional
	Elasticsearch *ElasticsearchSpec `json:"elasticsearch,omitempty"`

	// otlp sends the records with OTLP (Loki ≥ 3, an OpenTelemetry
	// Collector, VictoriaLogs, ...).
	// +optional
	OTLP *OTLPSpec `json:"otlp,omitempty"`

	// multiline decides where a record starts, so that a stack trace stays
	// one record. Defaults to a line that starts with a date or a [LEVEL].
	// +optional
	Multiline *MultilineSpec `json:"multiline,omitempty"`

	// extraAttributes are added to every record.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	ExtraAttributes map[string]string `json:"extraAttributes,omitempty"`
}

// ElasticsearchSpec is where the records go with the Elasticsearch bulk API
// (WebOTX: deployment.logstash.elasticsearch, key for key).
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.tls.cacert) || !has(self.tls.enabled) || self.tls.enabled",message="spec.deployment.logShipper.elasticsearch.tls.cacert requires tls.enabled"
type ElasticsearchSpec struct {
	// host name or IP address of Elasticsearch.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="!self.contains(':') || isIP(self)",message="must be a host name or an IP address"
	Host string `json:"host"`

	// port of Elasticsearch.
	// +optional
	// +kubebuilder:default=9200
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// path is a URL path prefix of the Elasticsearch API, as for an
	// Elasticsearch behind a reverse proxy (VictoriaLogs: /insert/elasticsearch).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^(/([-A-Za-z0-9._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+)*/?$`
	Path string `json:"path,omitempty"`

	// index receives the records.
	// +optional
	// +kubebuilder:default=appserver
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-z0-9][-a-z0-9_.+]*$`
	Index string `json:"index,omitempty"`

	// tls of the connection.
	// +optional
	TLS *ElasticsearchTLS `json:"tls,omitempty"`

	// auth is HTTP basic authentication.
	// +optional
	Auth *ElasticsearchAuth `json:"auth,omitempty"`
}

// ElasticsearchTLS configures TLS to Elasticsearch.
type ElasticsearchTLS struct {
	// enabled uses https.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// verification checks the server's certificate and name.
	// +optional
	// +kubebuilder:default=true
	Verification *bool `json:"verification,omitempty"`

	// cacert is the CA that signed the server's certificate (PEM), from a
	// Secret mounted read-only in the sidecar. Unset: the system CAs.
	// +optional
	CACert *CACertSpec `json:"cacert,omitempty"`
}

// CACertSpec names the Secret key that holds a CA certificate.
type CACertSpec struct {
	// secret holds the CA certificate.
	// +required
	Secret SecretKey `json:"secret"`
}

// SecretKey names a key of a Secret in the server's namespace.
type SecretKey struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="the Secret name must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	Name string `json:"name"`
	// key in the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// ElasticsearchAuth is HTTP basic authentication to Elasticsearch.
// +kubebuilder:validation:XValidation:rule="(has(self.enabled) && !self.enabled) || has(self.secretName)",message="spec.deployment.logShipper.elasticsearch.auth.secretName is required when auth is enabled"
type ElasticsearchAuth struct {
	// enabled sends the user name and password.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// secretName is a Secret with the keys username and password (as a
	// kubernetes.io/basic-auth Secret has).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`
}

// OTLPSpec is where the records go with OTLP.
type OTLPSpec struct {
	// endpoint is the receiver's URL: for http/protobuf the base URL the
	// path /v1/logs is added to (Loki ≥ 3: http://loki:3100/otlp), for grpc
	// http(s)://host:port.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^https?://[^\s/?#]+(/[^\s?#]*)?$`
	// +kubebuilder:validation:XValidation:rule="isURL(self)",message="must be a URL"
	Endpoint string `json:"endpoint"`

	// protocol of the export.
	// +optional
	// +kubebuilder:default="http/protobuf"
	// +kubebuilder:validation:Enum="http/protobuf";grpc
	Protocol string `json:"protocol,omitempty"`

	// headersSecret is a Secret whose key `headers` holds the headers sent
	// with every export, one `Name: value` per line (a YAML map), for
	// example `Authorization: Basic ...` and `X-Scope-OrgID: team-a`.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	HeadersSecret string `json:"headersSecret,omitempty"`
}

// MultilineSpec decides where a record starts.
type MultilineSpec struct {
	// lineStartPattern is a regular expression (RE2) that matches the first
	// line of a record; the lines up to the next match belong to it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	LineStartPattern string `json:"lineStartPattern"`
}
