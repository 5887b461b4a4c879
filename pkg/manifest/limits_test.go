package manifest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/drayhq/dray/pkg/manifest"
)

// billionLaughs is a Stage whose vars hold ten aliases of ten aliases … nine levels deep:
// about 1 KB of YAML that expands to 10^9 strings.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {name: s, namespace: p}\n")
	b.WriteString("x0: &l0 \"lol\"\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("spec: {vars: [{name: v, value: x}], requestedFreight: [{origin: {kind: Warehouse, name: w}, sources: {direct: true}, laughs: *l9}]}\n")
	return b.String()
}

// wideLaughs is the variant that slips past the YAML library's own alias-ratio check: a
// 32 KiB string aliased 3,000 times among enough plain values, about 100 KiB of YAML that
// expands to 96 MiB.
func wideLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {name: s, namespace: p}\n")
	b.WriteString("big: &big \"" + strings.Repeat("lol", 32<<10/3) + "\"\n")
	b.WriteString("spec: {vars: [{name: v, value: x}], requestedFreight: [{origin: {kind: Warehouse, name: w}, sources: {direct: true}, laughs: [")
	for i := range 3000 {
		if i%25 == 0 {
			b.WriteString("plain,")
		}
		b.WriteString("*big,")
	}
	b.WriteString("end]}]}\n")
	return b.String()
}

// TestAliasExpansionIsBounded: a billion-laughs document is refused, naming the document and
// the limit, having allocated a bounded amount of memory.
func TestAliasExpansionIsBounded(t *testing.T) {
	for name, doc := range map[string]string{"deep": billionLaughs(), "wide": wideLaughs()} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := manifest.Decode("laughs.yaml", []byte(doc))
			runtime.ReadMemStats(&after)
			t.Logf("allocated %d MiB", (after.TotalAlloc-before.TotalAlloc)>>20)
			if err == nil || !strings.Contains(err.Error(), "laughs.yaml: document 1") || !strings.Contains(err.Error(), "larger than 1024 KiB") {
				t.Fatalf("Decode(%d bytes of laughs) = %.300v, want the document refused for its size", len(doc), err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("Decode(%d bytes of laughs) allocated %d MiB, want under 32", len(doc), alloc>>20)
			}
		})
	}
}

// TestAliasesWithinTheLimit: aliases that expand to a small document still work.
func TestAliasesWithinTheLimit(t *testing.T) {
	doc := `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata: {name: s, namespace: p}
spec:
  requestedFreight:
  - origin: &w {kind: Warehouse, name: w}
    sources: {direct: true}
  - origin: {kind: Warehouse, name: w2}
    sources: &src {direct: true}
  - origin: {kind: Warehouse, name: w3}
    sources: *src
`
	if _, err := manifest.Decode("ok.yaml", []byte(doc)); err != nil {
		t.Fatalf("Decode(small aliases) = %v", err)
	}
}

// TestLargeResource: a resource over the limit without aliases is refused too.
func TestLargeResource(t *testing.T) {
	doc := "apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {name: s, namespace: p}\n" +
		"spec: {vars: [{name: v, value: \"" + strings.Repeat("x", manifest.MaxDocumentBytes) + "\"}], requestedFreight: [{origin: {kind: Warehouse, name: w}, sources: {direct: true}}]}\n"
	if _, err := manifest.Decode("big.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Fatalf("Decode(2 MiB Stage) = %v, want refused for its size", err)
	}
}
