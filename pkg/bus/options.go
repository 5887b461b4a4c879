package bus

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
)

// ErrInvalidOption wraps every invalid option.
var ErrInvalidOption = errors.New("invalid bus option")

// Options says how a service reaches NATS. Credentials come from files, never from flag values,
// so they do not show in ps.
type Options struct {
	// URL of the NATS server(s), comma-separated. Default $DRAY_NATS_URL, else nats://127.0.0.1:4222.
	URL string
	// CredsFile is a NATS .creds file (JWT and nkey seed). Default $DRAY_NATS_CREDS.
	CredsFile string
	// NKeyFile is an nkey seed file. Default $DRAY_NATS_NKEY.
	NKeyFile string
	// TLSCA, TLSCert and TLSKey are PEM files for TLS. Defaults $DRAY_NATS_TLS_CA, …_CERT, …_KEY.
	TLSCA, TLSCert, TLSKey string
	// Replicas of every stream and bucket; 3 on a cluster. Default $DRAY_NATS_REPLICAS, else 1.
	Replicas int
	// EventsMaxAge is how long events are kept. Default 7 days.
	EventsMaxAge time.Duration
	// AuditMaxAge is how long audit records are kept. Default 365 days.
	AuditMaxAge time.Duration
	// Timeout is the default deadline of bus requests that have none. Default 10s.
	Timeout time.Duration
	// RetryFor is how long a publish or a read keeps retrying through a leader election or a
	// reconnect when its context has no deadline (see Bus.Retry). Default 30s: a JetStream
	// election takes 4–9s after a node is lost.
	RetryFor time.Duration
	// TracerProvider records the spans of publishes, handled messages and whatever a service
	// starts with Bus.Tracer. Default nil: nothing is recorded, but trace context still
	// travels in message headers (trace.go).
	TracerProvider trace.TracerProvider
}

// DefaultAuditMaxAge is how long audit records are kept unless Options.AuditMaxAge says
// otherwise: a year.
const DefaultAuditMaxAge = 365 * 24 * time.Hour

// BindFlags registers the options as flags, with defaults from DRAY_* environment variables.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.URL, "nats-url", env("DRAY_NATS_URL", nats.DefaultURL), "NATS server URL(s), comma-separated")
	fs.StringVar(&o.CredsFile, "nats-creds", os.Getenv("DRAY_NATS_CREDS"), "NATS credentials file")
	fs.StringVar(&o.NKeyFile, "nats-nkey", os.Getenv("DRAY_NATS_NKEY"), "NATS nkey seed file")
	fs.StringVar(&o.TLSCA, "nats-tls-ca", os.Getenv("DRAY_NATS_TLS_CA"), "CA file to verify the NATS server")
	fs.StringVar(&o.TLSCert, "nats-tls-cert", os.Getenv("DRAY_NATS_TLS_CERT"), "client certificate file for NATS")
	fs.StringVar(&o.TLSKey, "nats-tls-key", os.Getenv("DRAY_NATS_TLS_KEY"), "client key file for NATS")
	fs.IntVar(&o.Replicas, "nats-replicas", envInt("DRAY_NATS_REPLICAS", 1), "replicas of streams and buckets")
	fs.DurationVar(&o.EventsMaxAge, "events-max-age", 7*24*time.Hour, "how long events are kept")
	fs.DurationVar(&o.AuditMaxAge, "audit-max-age", DefaultAuditMaxAge, "how long audit records are kept")
	fs.DurationVar(&o.Timeout, "nats-timeout", 10*time.Second, "default deadline of NATS requests")
	fs.DurationVar(&o.RetryFor, "nats-retry", 30*time.Second, "how long a publish or read retries through a leader election")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Replicas < 0 || o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("%w: --nats-replicas must be 1 to 5, got %d", ErrInvalidOption, o.Replicas))
	}
	if o.AuditMaxAge < 0 {
		errs = append(errs, fmt.Errorf("%w: --audit-max-age must not be negative, got %s", ErrInvalidOption, o.AuditMaxAge))
	}
	if o.CredsFile != "" && o.NKeyFile != "" {
		errs = append(errs, fmt.Errorf("%w: use --nats-creds or --nats-nkey, not both", ErrInvalidOption))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, fmt.Errorf("%w: --nats-tls-cert and --nats-tls-key go together", ErrInvalidOption))
	}
	for _, f := range []string{o.CredsFile, o.NKeyFile, o.TLSCA, o.TLSCert, o.TLSKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrInvalidOption, err))
		}
	}
	return errors.Join(errs...)
}

// Connect dials NATS with the options. name identifies the client to the server; without its
// "dray-" prefix it is the client's role, whose inbox prefix (InboxPrefix) it takes, as its
// NATS user's permissions expect.
func (o *Options) Connect(name string, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1),
		nats.CustomInboxPrefix(InboxPrefix(strings.TrimPrefix(name, "dray-")))}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeyFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read nkey seed %s: %w", o.NKeyFile, err)
		}
		opts = append(opts, opt)
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	if o.TLSCA != "" || o.TLSCert != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	url := o.URL
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(key), &n); err == nil {
		return n
	}
	return def
}
