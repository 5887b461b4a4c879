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
	switch n := btoi(s.Slack != nil) + btoi(s.Webhook != nil) + btoi(s.SMTP != nil); {
	case n == 0:
		c.add("spec", "must set exactly one of slack, webhook or smtp")
	case n > 1:
		c.add("spec", fmt.Sprintf("must set exactly one of slack, webhook or smtp, not %d", n))
	}
	if s.Webhook != nil {
		switch s.Webhook.Method {
		case "", "POST", "PUT", "PATCH":
		default:
			c.add("spec.webhook.method", fmt.Sprintf("got %q, want POST, PUT or PATCH", s.Webhook.Method))
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
