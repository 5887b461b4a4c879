// Package gen writes the JSON Schema of every entry of v1.Table from its Go type and doc
// comments. The schemas module's tests use it to prove the committed files are current.
package gen

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// BaseURL must equal schemas.BaseURL; gen cannot import its parent package.
const BaseURL = "https://dray.dev/schemas/v1/"

// Schema returns the schema of one Table entry as indented JSON. apiDir is the directory of
// package v1's sources, read for doc comments.
func Schema(e v1.Entry, apiDir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		AllowAdditionalProperties: e.Message,
		ExpandedStruct:            true,
		Mapper:                    mapper,
	}
	comments, err := goComments(apiDir)
	if err != nil {
		return nil, err
	}
	r.CommentMap = comments
	s := r.Reflect(e.New())
	s.ID = jsonschema.ID(BaseURL + e.Name + ".json")
	if d, ok := s.Definitions["RepoSubscription"]; ok {
		// Any key besides name, image, git and chart is a generic subscription of that type
		// (v1.RepoSubscription's UnmarshalJSON).
		generic := jsonschema.NewProperties()
		generic.Set("config", &jsonschema.Schema{Type: "object", Description: "The generic type's own configuration."})
		generic.Set("discoveryLimit", &jsonschema.Schema{Type: "integer", Minimum: "1", Maximum: "100", Description: "How many artifacts discovery keeps. Default 20."})
		d.AdditionalProperties = &jsonschema.Schema{
			Type: "object", Properties: generic, AdditionalProperties: jsonschema.FalseSchema,
			Description: "A generic subscription: its key is its type, and it must be named.",
		}
	}
	switch {
	case e.ID == v1.KindSecret || e.ID == v1.KindConfigMap || e.ID == v1.KindServiceAccount:
		s.Properties.Set("apiVersion", &jsonschema.Schema{
			Type: "string", Const: v1.CoreVersion, Description: "v1: Kubernetes' core kind, read unchanged.",
		})
		s.Properties.Set("kind", &jsonschema.Schema{Type: "string", Const: e.ID, Description: "The resource kind."})
	case e.ID == v1.KindRole || e.ID == v1.KindRoleBinding:
		versions := []any{v1.RBACVersion}
		if e.ID == v1.KindRole {
			versions = append(versions, v1.KargoRBACVersion)
		}
		s.Properties.Set("apiVersion", &jsonschema.Schema{
			Type: "string", Enum: versions,
			Description: "rbac.authorization.k8s.io/v1 (Kubernetes' shape), or rbac.kargo.akuity.io/v1alpha1 for Kargo's Role.",
		})
		s.Properties.Set("kind", &jsonschema.Schema{Type: "string", Const: e.ID, Description: "The resource kind."})
	case !e.Message:
		s.Properties.Set("apiVersion", &jsonschema.Schema{
			Type:        "string",
			Enum:        []any{v1.GroupVersion, v1.EEGroupVersion},
			Description: "kargo.akuity.io/v1alpha1 (ee.kargo.akuity.io/v1alpha1 for CustomPromotionStep).",
		})
		s.Properties.Set("kind", &jsonschema.Schema{Type: "string", Const: e.ID, Description: "The resource kind."})
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// goComments reads package v1's doc comments, keyed the way the Reflector looks them up.
func goComments(apiDir string) (map[string]string, error) {
	var probe jsonschema.Reflector
	dir := filepath.ToSlash(filepath.Clean(apiDir))
	if err := probe.AddGoComments("", dir, jsonschema.WithFullComment()); err != nil {
		return nil, fmt.Errorf("read comments in %s: %w", apiDir, err)
	}
	raw := probe.CommentMap
	const pkg = "github.com/drayhq/dray/pkg/api/v1"
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if rest, ok := strings.CutPrefix(k, dir); ok {
			out[pkg+rest] = v
		}
	}
	return out, nil
}

// mapper gives types that JSON encodes specially the schema of their encoding.
func mapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[time.Time]():
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return &jsonschema.Schema{}
	}
	if t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Interface && strings.HasPrefix(t.String(), "map[string]") {
		return &jsonschema.Schema{Type: "object"}
	}
	return nil
}
