package v1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Warehouse watches artifact repositories and produces Freight from what it discovers.
type Warehouse struct {
	TypeMeta `json:",inline"`
	Metadata ObjectMeta    `json:"metadata"`
	Spec     WarehouseSpec `json:"spec"`
	// Status is written by the warehouse service only.
	Status WarehouseStatus `json:"status,omitzero"`
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

// RepoSubscription has exactly one of Image, Git, Chart or Generic, plus an optional Name (a
// generic subscription must be named).
type RepoSubscription struct {
	Name  string             `json:"name,omitempty"`
	Image *ImageSubscription `json:"image,omitempty"`
	Git   *GitSubscription   `json:"git,omitempty"`
	Chart *ChartSubscription `json:"chart,omitempty"`
	// Generic is a subscription of any other type (Kargo's generic subscriptions): its key
	// is the type, e.g. {name: model, modelhub: {config: {…}, discoveryLimit: 5}}, and the
	// warehouse service discovers it with the discoverer registered for that type.
	Generic *GenericSubscription `json:"-"`
}

// GenericSubscription is a subscription to artifacts that are neither images, commits nor
// charts; Type is the key it is written under.
type GenericSubscription struct {
	Type string `json:"-"`
	// Config is the type's own configuration.
	Config map[string]any `json:"config,omitempty"`
	// DiscoveryLimit is how many artifacts discovery keeps, 1 to 100. Default 20.
	DiscoveryLimit int `json:"discoveryLimit,omitempty"`
}

// repoSubscription is RepoSubscription without its JSON methods.
type repoSubscription RepoSubscription

// MarshalJSON writes a generic subscription under its type's key.
func (s RepoSubscription) MarshalJSON() ([]byte, error) {
	if s.Generic == nil {
		return json.Marshal(repoSubscription(s))
	}
	out := map[string]any{s.Generic.Type: s.Generic}
	if s.Name != "" {
		out["name"] = s.Name
	}
	for k, v := range map[string]any{"image": s.Image, "git": s.Git, "chart": s.Chart} {
		if !reflect.ValueOf(v).IsNil() {
			out[k] = v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads name, image, git and chart strictly, and takes any other key as a
// generic subscription of that type; two other keys are an error.
func (s *RepoSubscription) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = RepoSubscription{}
	strict := func(b json.RawMessage, v any) error {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	for k, v := range raw {
		var err error
		switch k {
		case "name":
			err = json.Unmarshal(v, &s.Name)
		case "image":
			err = strict(v, &s.Image)
		case "git":
			err = strict(v, &s.Git)
		case "chart":
			err = strict(v, &s.Chart)
		default:
			if s.Generic != nil {
				return fmt.Errorf("subscription has two types besides image, git and chart: %q and %q", s.Generic.Type, k)
			}
			s.Generic = &GenericSubscription{}
			err = strict(v, s.Generic)
			s.Generic.Type = k
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
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

// WarehouseStatus is what the warehouse service last discovered and decided (docs/resources.md#discovery-and-freight-creation).
type WarehouseStatus struct {
	// DiscoveredArtifacts is the result of the last discovery that succeeded.
	DiscoveredArtifacts *DiscoveredArtifacts `json:"discoveredArtifacts,omitempty"`
	// LastFreightID is the ID of the last Freight built from a discovery.
	LastFreightID string `json:"lastFreightID,omitempty"`
	// LastHandledRefresh is the ID of the last refresh request discovery ran for.
	LastHandledRefresh string `json:"lastHandledRefresh,omitempty"`
	// ObservedSpec is a digest of the spec the last discovery ran with; a Warehouse whose spec
	// no longer matches it is discovered again at once.
	ObservedSpec string `json:"observedSpec,omitempty"`
	// Conditions are Ready (discovery works) and FreightCreated, with reasons and messages.
	Conditions []Condition `json:"conditions,omitempty"`
	// Errors are the last discovery's failures, one per failing subscription.
	Errors []SubscriptionError `json:"errors,omitempty"`
}

// Condition is one aspect of a resource's state, Kubernetes-style.
type Condition struct {
	Type               string     `json:"type"`
	Status             string     `json:"status"` // True, False or Unknown
	Reason             string     `json:"reason,omitempty"`
	Message            string     `json:"message,omitempty"`
	LastTransitionTime *time.Time `json:"lastTransitionTime,omitempty"`
}

// SubscriptionError is why one subscription's discovery failed.
type SubscriptionError struct {
	SubscriptionName string `json:"subscriptionName,omitempty"`
	RepoURL          string `json:"repoURL"`
	Message          string `json:"message"`
}

// DiscoveredArtifacts holds, per subscription and in subscription order, the artifacts found,
// best first (element 0 is what automatic Freight creation uses).
type DiscoveredArtifacts struct {
	DiscoveredAt *time.Time             `json:"discoveredAt,omitempty"`
	Git          []GitDiscoveryResult   `json:"git,omitempty"`
	Images       []ImageDiscoveryResult `json:"images,omitempty"`
	Charts       []ChartDiscoveryResult `json:"charts,omitempty"`
	// Results are what the generic subscriptions found.
	Results []GenericDiscoveryResult `json:"results,omitempty"`
}

// GenericDiscoveryResult is what one generic subscription found, best first.
type GenericDiscoveryResult struct {
	SubscriptionName string                      `json:"subscriptionName"`
	ArtifactType     string                      `json:"artifactType"`
	Artifacts        []DiscoveredGenericArtifact `json:"artifacts"`
}

// DiscoveredGenericArtifact is one candidate artifact of a generic subscription.
type DiscoveredGenericArtifact struct {
	Version  string         `json:"version"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// GitDiscoveryResult is what one git subscription found.
type GitDiscoveryResult struct {
	RepoURL          string             `json:"repoURL"`
	SubscriptionName string             `json:"subscriptionName,omitempty"`
	Commits          []DiscoveredCommit `json:"commits"`
}

// DiscoveredCommit is one candidate commit (docs/resources.md#git-subscriptions).
type DiscoveredCommit struct {
	ID          string     `json:"id"`
	Branch      string     `json:"branch,omitempty"`
	Tag         string     `json:"tag,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	Author      string     `json:"author,omitempty"`
	Committer   string     `json:"committer,omitempty"`
	CreatorDate *time.Time `json:"creatorDate,omitempty"`
}

// ImageDiscoveryResult is what one image subscription found.
type ImageDiscoveryResult struct {
	RepoURL          string                     `json:"repoURL"`
	SubscriptionName string                     `json:"subscriptionName,omitempty"`
	Platform         string                     `json:"platform,omitempty"`
	References       []DiscoveredImageReference `json:"references"`
}

// DiscoveredImageReference is one candidate image (docs/resources.md#image-subscriptions).
type DiscoveredImageReference struct {
	Tag         string            `json:"tag"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
	CreatedAt   *time.Time        `json:"createdAt,omitempty"`
}

// ChartDiscoveryResult is what one chart subscription found.
type ChartDiscoveryResult struct {
	RepoURL          string   `json:"repoURL"`
	Name             string   `json:"name,omitempty"`
	SubscriptionName string   `json:"subscriptionName,omitempty"`
	SemverConstraint string   `json:"semverConstraint,omitempty"`
	Versions         []string `json:"versions"`
}
