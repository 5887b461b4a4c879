package main

import (
	"encoding/json"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// resources is the pipeline: a Project, a Warehouse that watches a loopback repository and
// creates no Freight by itself, and Stages that each update their own file in one branch
// (git-clone, yaml-update, git-commit, git-push), so pushes race and rebase.
func resources(gitURL string, stages []string) []json.RawMessage {
	docs := []json.RawMessage{
		mustJSON(v1.Project{TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindProject}, Metadata: v1.ObjectMeta{Name: project}}),
		mustJSON(v1.Warehouse{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindWarehouse},
			Metadata: v1.ObjectMeta{Name: "app", Namespace: project},
			Spec: v1.WarehouseSpec{Interval: "24h", FreightCreationPolicy: "Manual",
				Subscriptions: []v1.RepoSubscription{{Git: &v1.GitSubscription{RepoURL: gitURL + "/source.git", Branch: "main"}}}},
		}),
	}
	repo := gitURL + "/config.git"
	for _, s := range stages {
		steps := []v1.PromotionStep{
			{Uses: "git-clone", As: "clone", Config: map[string]any{
				"repoURL": repo, "checkout": []any{map[string]any{"branch": "main", "path": "./src"}},
			}},
			{Uses: "yaml-update", As: "update", Config: map[string]any{
				"path":    "./src/env/" + s + "/values.yaml",
				"updates": []any{map[string]any{"key": "image.tag", "value": "${{ imageFrom('ghcr.io/example/app', warehouse('app')).Tag }}"}},
			}},
			{Uses: "git-commit", As: "commit", Config: map[string]any{"path": "./src", "message": "${{ outputs.update.commitMessage }}"}},
			{Uses: "git-push", As: "push", Config: map[string]any{"path": "./src"}},
		}
		docs = append(docs, mustJSON(v1.Stage{
			TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindStage},
			Metadata: v1.ObjectMeta{Name: s, Namespace: project},
			Spec: v1.StageSpec{
				RequestedFreight: []v1.FreightRequest{{
					Origin: v1.FreightOrigin{Kind: "Warehouse", Name: "app"}, Sources: v1.FreightSources{Direct: true},
				}},
				PromotionTemplate: &v1.PromotionTemplate{Spec: v1.PromotionTemplateSpec{Steps: steps}},
			},
		}))
	}
	return docs
}

// freightOf is hand-made Freight of one image tag.
func freightOf(tag string) *v1.Freight {
	return &v1.Freight{
		TypeMeta: v1.TypeMeta{APIVersion: v1.GroupVersion, Kind: v1.KindFreight},
		Metadata: v1.ObjectMeta{Name: "derived", Namespace: project},
		Origin:   v1.FreightOrigin{Kind: "Warehouse", Name: "app"},
		Images:   []v1.Image{{RepoURL: "ghcr.io/example/app", Tag: tag, Digest: "sha256:" + digest(tag)}},
	}
}

func digest(tag string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = hex[(int(tag[i%len(tag)])+i)%16]
	}
	return string(b)
}

func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}
