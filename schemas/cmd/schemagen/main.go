// Command schemagen rewrites schemas/<name>.json for every entry of v1.Table. Run it from the
// schemas directory: go run ./cmd/schemagen.
package main

import (
	"fmt"
	"os"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/schemas/internal/gen"
)

func main() {
	for _, e := range v1.Table {
		b, err := gen.Schema(e, "../pkg/api/v1")
		if err == nil {
			err = os.WriteFile(e.Name+".json", b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "schemagen: %s: %v\n", e.Name, err)
			os.Exit(1)
		}
	}
}
