package executorargocd

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/drayhq/dray/pkg/argocd"
	"github.com/drayhq/dray/pkg/executor"
)

// DefaultHealthInterval is how often Stage health is evaluated when Options.HealthInterval
// is 0.
const DefaultHealthInterval = 30 * time.Second

// Options configure the argocd executor. Defaults come from DRAY_ARGOCD_* variables.
type Options struct {
	Executor executor.Options
	// Server is the Argo CD API server, https://…; empty means each project must name its own
	// in its argocd Secret. Default $DRAY_ARGOCD_SERVER.
	Server string
	// TokenFile holds the bearer token. Default $DRAY_ARGOCD_TOKEN_FILE.
	TokenFile string
	// Namespace is where Applications are when a step names none. Default
	// $DRAY_ARGOCD_NAMESPACE, else argocd.
	Namespace string
	// InsecureSkipTLSVerify skips verification of the server's certificate. Default
	// $DRAY_ARGOCD_INSECURE_SKIP_TLS_VERIFY, else false.
	InsecureSkipTLSVerify bool
	// CAFile is a PEM bundle to trust instead of the system's. Default $DRAY_ARGOCD_CA_FILE.
	CAFile string
	// HealthInterval is how often Stage health is evaluated. Default
	// $DRAY_ARGOCD_HEALTH_INTERVAL, else 30s.
	HealthInterval time.Duration
}

// OptionsFromEnv returns the options with their defaults from the environment, for callers
// that parse no flags (dray up).
func OptionsFromEnv() Options {
	var o Options
	fs := flag.NewFlagSet("argocd", flag.ContinueOnError)
	o.BindFlags(fs)
	return o
}

// BindFlags registers the executor's and Argo CD's flags.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	o.Executor.BindFlags(fs)
	fs.StringVar(&o.Server, "argocd-server", os.Getenv("DRAY_ARGOCD_SERVER"), "Argo CD API server URL (https://…)")
	fs.StringVar(&o.TokenFile, "argocd-token-file", os.Getenv("DRAY_ARGOCD_TOKEN_FILE"), "file holding the Argo CD bearer token")
	fs.StringVar(&o.Namespace, "argocd-namespace", envOr("DRAY_ARGOCD_NAMESPACE", argocd.DefaultNamespace), "namespace of Applications when a step names none")
	insecure, _ := strconv.ParseBool(os.Getenv("DRAY_ARGOCD_INSECURE_SKIP_TLS_VERIFY"))
	fs.BoolVar(&o.InsecureSkipTLSVerify, "argocd-insecure-skip-tls-verify", insecure, "skip verification of the Argo CD server's certificate")
	fs.StringVar(&o.CAFile, "argocd-ca-file", os.Getenv("DRAY_ARGOCD_CA_FILE"), "PEM bundle of CAs to trust for the Argo CD server")
	interval, _ := time.ParseDuration(os.Getenv("DRAY_ARGOCD_HEALTH_INTERVAL"))
	if interval <= 0 {
		interval = DefaultHealthInterval
	}
	fs.DurationVar(&o.HealthInterval, "argocd-health-interval", interval, "how often Stage health is evaluated")
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	errs := []error{o.Executor.Validate()}
	if o.Server != "" && !strings.HasPrefix(o.Server, "https://") {
		errs = append(errs, fmt.Errorf("--argocd-server: %q must be an https:// URL", o.Server))
	}
	if o.Server != "" && o.TokenFile == "" {
		errs = append(errs, errors.New("--argocd-server needs --argocd-token-file"))
	}
	if o.HealthInterval < 0 {
		errs = append(errs, errors.New("--argocd-health-interval must not be negative"))
	}
	return errors.Join(errs...)
}

// ArgoCD reads the token and CA files and returns the client configuration. Errors name the
// file, never its content.
func (o *Options) ArgoCD() (argocd.Config, error) {
	cfg := argocd.Config{Server: o.Server, Namespace: o.Namespace, InsecureSkipTLSVerify: o.InsecureSkipTLSVerify}
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return cfg, fmt.Errorf("read --argocd-token-file: %w", err)
		}
		cfg.Token = strings.TrimSpace(string(b))
	}
	if o.CAFile != "" {
		b, err := os.ReadFile(o.CAFile)
		if err != nil {
			return cfg, fmt.Errorf("read --argocd-ca-file: %w", err)
		}
		cfg.CA = b
	}
	return cfg, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
