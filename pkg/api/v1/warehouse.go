package v1

// Warehouse watches artifact repositories and produces Freight from what it discovers.
type Warehouse struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta    `json:"metadata"`
	Spec     WarehouseSpec `json:"spec"`
}

// WarehouseSpec is the desired behaviour of a Warehouse.
type WarehouseSpec struct {
	// Interval is the discovery period. Default 5m0s.
	Interval string `json:"interval,omitempty"`
	// FreightCreationPolicy is Automatic (default) or Manual.
	FreightCreationPolicy string `json:"freightCreationPolicy,omitempty"`
	// FreightCreationCriteria gates automatic Freight creation with an expression.
	FreightCreationCriteria *FreightCreationCriteria `json:"freightCreationCriteria,omitempty"`
	// Subscriptions are the repositories the Warehouse watches; at least one.
	Subscriptions []RepoSubscription `json:"subscriptions"`
}

// FreightCreationCriteria is a bare expr-lang expression over the latest discovery.
type FreightCreationCriteria struct {
	Expression string `json:"expression,omitempty"`
}

// RepoSubscription has exactly one of Image, Git or Chart, plus an optional Name.
type RepoSubscription struct {
	Name  string             `json:"name,omitempty"`
	Image *ImageSubscription `json:"image,omitempty"`
	Git   *GitSubscription   `json:"git,omitempty"`
	Chart *ChartSubscription `json:"chart,omitempty"`
}

// ImageSubscription watches a container image repository.
type ImageSubscription struct {
	RepoURL                string   `json:"repoURL"`
	ImageSelectionStrategy string   `json:"imageSelectionStrategy,omitempty"`
	Constraint             string   `json:"constraint,omitempty"`
	StrictSemvers          *bool    `json:"strictSemvers,omitempty"`
	AllowTagsRegexes       []string `json:"allowTagsRegexes,omitempty"`
	IgnoreTagsRegexes      []string `json:"ignoreTagsRegexes,omitempty"`
	AllowTags              string   `json:"allowTags,omitempty"`
	IgnoreTags             []string `json:"ignoreTags,omitempty"`
	Platform               string   `json:"platform,omitempty"`
	DiscoveryLimit         int      `json:"discoveryLimit,omitempty"`
	InsecureSkipTLSVerify  bool     `json:"insecureSkipTLSVerify,omitempty"`
	CacheByTag             bool     `json:"cacheByTag,omitempty"`
}

// GitSubscription watches a Git repository's branch or tags.
type GitSubscription struct {
	RepoURL                 string   `json:"repoURL"`
	CommitSelectionStrategy string   `json:"commitSelectionStrategy,omitempty"`
	Branch                  string   `json:"branch,omitempty"`
	SemverConstraint        string   `json:"semverConstraint,omitempty"`
	StrictSemvers           *bool    `json:"strictSemvers,omitempty"`
	AllowTagsRegexes        []string `json:"allowTagsRegexes,omitempty"`
	IgnoreTagsRegexes       []string `json:"ignoreTagsRegexes,omitempty"`
	AllowTags               string   `json:"allowTags,omitempty"`
	IgnoreTags              []string `json:"ignoreTags,omitempty"`
	ExpressionFilter        string   `json:"expressionFilter,omitempty"`
	IncludePaths            []string `json:"includePaths,omitempty"`
	ExcludePaths            []string `json:"excludePaths,omitempty"`
	Since                   string   `json:"since,omitempty"`
	DiscoveryLimit          int      `json:"discoveryLimit,omitempty"`
	InsecureSkipTLSVerify   bool     `json:"insecureSkipTLSVerify,omitempty"`
	Blobless                bool     `json:"blobless,omitempty"`
}

// ChartSubscription watches a Helm chart repository (classic or oci://).
type ChartSubscription struct {
	RepoURL               string `json:"repoURL"`
	Name                  string `json:"name,omitempty"`
	SemverConstraint      string `json:"semverConstraint,omitempty"`
	DiscoveryLimit        int    `json:"discoveryLimit,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
}
