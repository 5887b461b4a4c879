package sendmessage

import (
	"context"
	"errors"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// Sentinel errors of a ChannelResolver. Test for them with errors.Is.
var (
	// ErrChannelNotFound means no channel of that kind and name exists for the project.
	ErrChannelNotFound = errors.New("message channel not found")
	// ErrSecretNotFound means the Secret the channel's spec.secretRef names does not exist.
	ErrSecretNotFound = errors.New("secret of the message channel not found")
)

// ChannelResolver finds a message channel and the values of its Secret: a MessageChannel in
// project, or a ClusterMessageChannel (ref.Kind says which), whose Secret is in the shared
// project. The http executor implements it over dray-resources and the secret store.
type ChannelResolver interface {
	ResolveChannel(ctx context.Context, project string, ref ChannelRef) (*Channel, error)
}

// Channel is a resolved message channel.
type Channel struct {
	Spec v1.MessageChannelSpec
	// Data are the values of the Secret Spec.SecretRef names. They are secret.
	Data map[string]string
}
