package kustomizesetimage

import (
	"errors"
	"fmt"
)

// Config is the config of kustomize-set-image, as described by
// schemas/steps/kustomize-set-image.json.
type Config struct {
	// Path is the directory holding the kustomization, relative to the workspace.
	Path string `json:"path"`
	// Images are the images to set. Empty means every image of the promotion's Freight.
	Images []Image `json:"images,omitempty"`
}

// Image is one image to set.
type Image struct {
	// Image is the image repository, as subscribed to.
	Image string `json:"image"`
	// Name is the name of the kustomization's images entry. Default: Image.
	Name string `json:"name,omitempty"`
	// NewName replaces the image's name; "*" keeps the existing one.
	NewName string `json:"newName,omitempty"`
	// Tag is the new tag; "*" keeps the existing one. Exactly one of Tag and Digest is set.
	Tag string `json:"tag,omitempty"`
	// Digest is the new digest; "*" keeps the existing one.
	Digest string `json:"digest,omitempty"`
}

// Validate reports every image that sets both or neither of tag and digest, naming its field.
func (c *Config) Validate() error {
	var errs []error
	for i, img := range c.Images {
		if (img.Tag == "") == (img.Digest == "") {
			errs = append(errs, fmt.Errorf("config.images[%d]: exactly one of tag and digest must be set", i))
		}
	}
	return errors.Join(errs...)
}
