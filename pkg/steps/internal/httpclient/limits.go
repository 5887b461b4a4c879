package httpclient

import (
	"errors"
	"fmt"
	"time"
)

// ErrResponseTooLarge means a response body is larger than the step allows.
var ErrResponseTooLarge = errors.New("response body too large")

// ReasonResponseTooLarge is the reason of ErrResponseTooLarge in results.
const ReasonResponseTooLarge = "ResponseTooLarge"

// FormatBytes renders n for messages: "2 MiB", "100 MiB", "512 KiB" or "1000 bytes".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Duration parses a config duration such as "30s" for field, e.g. config.timeout; empty
// means def. It returns an error naming field when s is not a positive duration.
func Duration(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 30s or 5m", field, s)
	}
	return d, nil
}
