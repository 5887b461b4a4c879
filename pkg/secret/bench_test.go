package secret_test

import (
	"testing"

	"github.com/drayhq/dray/pkg/secret"
)

// BenchmarkCredentials is the lookup every git, Helm and registry operation makes: here in
// a project with three Secrets, one of them the match, and a shared project with none.
func BenchmarkCredentials(b *testing.B) {
	st, _ := newStoreB(b)
	for i, name := range []string{"a", "b", "repo"} {
		s := sec("shop", name, secret.TypeGit, map[string]string{"repoURL": "https://git.example.com/" + name + ".git", "password": "p" + string(rune('0'+i))})
		if _, err := st.Put(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		c, err := st.Credentials(b.Context(), "shop", secret.TypeGit, "https://git.example.com/repo.git")
		if err != nil || c == nil || c.Password != "p2" {
			b.Fatalf("Credentials() = %v, %v", c, err)
		}
	}
}
