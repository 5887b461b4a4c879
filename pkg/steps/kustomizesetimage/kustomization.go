package kustomizesetimage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	kustypes "sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// FileNames are the names a kustomization file may have, as kustomize looks for them.
var FileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Sentinel errors of the step. Test for them with errors.Is.
var (
	// ErrNoKustomization means the directory holds no kustomization file, or several.
	ErrNoKustomization = errors.New("no single kustomization file")
	// ErrAmbiguousImage means two Freights hold the same image repository.
	ErrAmbiguousImage = errors.New("image found in more than one Freight")
)

// keep is the value of newName, tag or digest that keeps the existing entry's value.
const keep = "*"

// find returns the name of the one kustomization file in dir, inside root. It wraps
// ErrNoKustomization when there is none or several.
func find(root *os.Root, dir string) (string, error) {
	var found []string
	for _, n := range FileNames {
		name := filepath.Join(dir, n)
		fi, err := root.Stat(name)
		switch {
		case err == nil && fi.Mode().IsRegular():
			found = append(found, name)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w in %s: want one of %s", ErrNoKustomization, dir, strings.Join(FileNames, ", "))
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%w in %s: found %d (%s)", ErrNoKustomization, dir, len(found), strings.Join(found, ", "))
}

// SetImages returns the kustomization in data with images set: each target replaces the
// entry of the same name wholesale (with "*" keeping that entry's field), other entries are
// kept, and the list is sorted by name. It also returns the entries it set, "*" resolved.
// Comments survive; the rest of the formatting is kyaml's.
func SetImages(data []byte, targets []kustypes.Image) ([]byte, []kustypes.Image, error) {
	node, err := kyaml.Parse(string(data))
	if err != nil {
		return nil, nil, fmt.Errorf("parse kustomization: %w", err)
	}
	if node.YNode().Kind != kyaml.MappingNode {
		return nil, nil, errors.New("parse kustomization: not a YAML mapping")
	}
	var current []kustypes.Image
	if imgs := node.Field("images"); imgs != nil && !kyaml.IsYNodeEmptyMap(imgs.Value.YNode()) && imgs.Value.YNode().Tag != kyaml.NodeTagNull {
		if err := imgs.Value.YNode().Decode(&current); err != nil {
			return nil, nil, fmt.Errorf("parse kustomization: images: %w", err)
		}
	}
	byName := make(map[string]kustypes.Image, len(current)+len(targets))
	for _, img := range current {
		byName[img.Name] = img
	}
	set := make([]kustypes.Image, 0, len(targets))
	for _, t := range targets {
		old := byName[t.Name]
		t.NewName = keepOld(t.NewName, old.NewName)
		t.NewTag = keepOld(t.NewTag, old.NewTag)
		t.Digest = keepOld(t.Digest, old.Digest)
		byName[t.Name] = t
		set = append(set, t)
	}
	images := make([]kustypes.Image, 0, len(byName))
	for _, img := range byName {
		images = append(images, img)
	}
	slices.SortFunc(images, func(a, b kustypes.Image) int { return strings.Compare(a.Name, b.Name) })

	list, err := imagesNode(images)
	if err != nil {
		return nil, nil, err
	}
	if err := node.PipeE(kyaml.SetField("images", list)); err != nil {
		return nil, nil, fmt.Errorf("set images: %w", err)
	}
	out, err := node.String()
	if err != nil {
		return nil, nil, fmt.Errorf("write kustomization: %w", err)
	}
	return []byte(out), set, nil
}

func keepOld(v, old string) string {
	if v == keep {
		return old
	}
	return v
}

// imagesNode encodes images as a YAML list with the fields in kustomize's order.
func imagesNode(images []kustypes.Image) (*kyaml.RNode, error) {
	list := kyaml.NewListRNode()
	for _, img := range images {
		entry := kyaml.NewMapRNode(nil)
		for _, f := range [][2]string{{"name", img.Name}, {"newName", img.NewName}, {"newTag", img.NewTag}, {"tagSuffix", img.TagSuffix}, {"digest", img.Digest}} {
			if f[1] == "" {
				continue
			}
			if err := entry.PipeE(kyaml.SetField(f[0], kyaml.NewStringRNode(f[1]))); err != nil {
				return nil, fmt.Errorf("set images: %w", err)
			}
		}
		if err := list.PipeE(kyaml.Append(entry.YNode())); err != nil {
			return nil, fmt.Errorf("set images: %w", err)
		}
	}
	return list, nil
}
