package executorhttp

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/bus"
	"github.com/drayhq/dray/pkg/secret"
	"github.com/drayhq/dray/pkg/service"
	"github.com/drayhq/dray/pkg/steps/sendmessage"
)

// Channels finds the message channels of send-message: MessageChannels in dray-resources
// under their project, ClusterMessageChannels under the cluster project, and their Secrets in
// the secret store (a ClusterMessageChannel's in the shared project). It is safe for
// concurrent use.
type Channels struct {
	Bus *bus.Bus
	// Secrets may be nil: then every channel's Secret is reported missing, with the reason.
	Secrets *secret.Store
}

var _ sendmessage.ChannelResolver = (*Channels)(nil)

// ChannelsOf returns the channel resolver of a service's dependencies.
func ChannelsOf(d service.Deps) *Channels { return &Channels{Bus: d.Bus, Secrets: d.Secrets} }

// ResolveChannel reads the channel ref names for project, and its Secret.
func (c *Channels) ResolveChannel(ctx context.Context, project string, ref sendmessage.ChannelRef) (*sendmessage.Channel, error) {
	var spec v1.MessageChannelSpec
	var key, secretProject string
	switch ref.Kind {
	case v1.KindMessageChannel:
		key, secretProject = bus.ResourceKey(project, ref.Kind, ref.Name), project
	case v1.KindClusterMessageChannel:
		key, secretProject = bus.ResourceKey("", ref.Kind, ref.Name), v1.SharedProject
	default:
		return nil, fmt.Errorf("channel kind %q is not MessageChannel or ClusterMessageChannel", ref.Kind)
	}
	var mc v1.MessageChannel // a ClusterMessageChannel has the same shape
	_, err := c.Bus.GetJSON(ctx, c.Bus.Resources, key, &mc)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		if ref.Kind == v1.KindMessageChannel {
			return nil, fmt.Errorf("%w: no MessageChannel %s in project %s", sendmessage.ErrChannelNotFound, ref.Name, project)
		}
		return nil, fmt.Errorf("%w: no ClusterMessageChannel %s", sendmessage.ErrChannelNotFound, ref.Name)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	spec = mc.Spec
	if c.Secrets == nil {
		return nil, fmt.Errorf("%w: Secret %s/%s cannot be read: this executor was started without a secrets key",
			sendmessage.ErrSecretNotFound, secretProject, spec.SecretRef.Name)
	}
	data, err := c.Secrets.Data(ctx, secretProject, spec.SecretRef.Name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read Secret %s/%s: %w", secretProject, spec.SecretRef.Name, err)
	case data == nil:
		return nil, fmt.Errorf("%w: no Secret %s in project %s", sendmessage.ErrSecretNotFound, spec.SecretRef.Name, secretProject)
	}
	return &sendmessage.Channel{Spec: spec, Data: data}, nil
}
