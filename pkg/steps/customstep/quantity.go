package customstep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseMemory reads a Kubernetes memory quantity (128Mi, 1G, 64M, 1048576) as bytes.
func parseMemory(q string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	}
	mult := 1.0
	num := strings.TrimSpace(q)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSuffix(num, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("memory %q is not a positive quantity such as 128Mi", q)
	}
	return int64(f * mult), nil
}

// parseCPU reads a Kubernetes CPU quantity (500m, 0.5, 2) as thousandths of a core.
func parseCPU(q string) (int64, error) {
	num := strings.TrimSpace(q)
	mult := 1000.0
	if strings.HasSuffix(num, "m") {
		num, mult = strings.TrimSuffix(num, "m"), 1
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("cpu %q is not a positive quantity such as 500m", q)
	}
	return max(int64(f*mult), 1), nil
}
