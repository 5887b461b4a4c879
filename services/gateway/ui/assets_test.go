package ui_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"

	"github.com/drayhq/dray/services/gateway/ui"
)

// TestVendoredChecksums: every vendored file is the one static/SHA256SUMS pins (make assets
// fetches them and checks the same sums), so a changed htmx cannot slip in unreviewed.
func TestVendoredChecksums(t *testing.T) {
	sums, err := fs.ReadFile(ui.Static(), "SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc := bufio.NewScanner(strings.NewReader(string(sums))); sc.Scan(); {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not <sum>  <file>", sc.Text())
		}
		data, err := fs.ReadFile(ui.Static(), name)
		if err != nil {
			t.Fatalf("SHA256SUMS names %s: %v", name, err)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: sha256 %x, want %s (run make assets, or update SHA256SUMS after review)", name, got, want)
		}
		n++
	}
	if n < 2 {
		t.Errorf("SHA256SUMS pins %d files, want htmx and its licence", n)
	}
}
