package manifest

import (
	"fmt"
	"strings"

	v1 "github.com/drayhq/dray/pkg/api/v1"
)

// messageChannel checks a MessageChannel's or ClusterMessageChannel's spec: a Secret to read
// and exactly one kind of channel.
func (c *checker) messageChannel(s *v1.MessageChannelSpec) {
	if strings.TrimSpace(s.SecretRef.Name) == "" {
		c.add("spec.secretRef.name", "must name the Secret that holds the channel's URL")
	}
	switch {
	case s.Slack == nil && s.Webhook == nil:
		c.add("spec", "must set exactly one of slack or webhook")
	case s.Slack != nil && s.Webhook != nil:
		c.add("spec", "must set exactly one of slack or webhook, not both")
	}
	if s.Webhook != nil {
		switch s.Webhook.Method {
		case "", "POST", "PUT", "PATCH":
		default:
			c.add("spec.webhook.method", fmt.Sprintf("got %q, want POST, PUT or PATCH", s.Webhook.Method))
		}
	}
}
