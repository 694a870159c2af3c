package conformance

import (
	"fmt"
	"sort"
	"testing"

	"github.com/portico-auth/portico/internal/store"
)

// testIdentityListSimilar: CredentialsIdentifierSimilar finds the identities with an
// identifier starting with the text, the same on every backend: case and LIKE's wildcards
// are compared as they are, and characters beyond ASCII count as one.
func testIdentityListSimilar(t *testing.T, s store.Store) {
	for _, e := range []string{"ab_c@example.com", "abxc@example.com", "ABZ@example.com", "zz%@example.com", "élan@example.com", "elan@example.com"} {
		create(t, s, e)
	}
	for _, tc := range []struct {
		similar string
		want    []string
	}{
		{"ab", []string{"ab_c@example.com", "abxc@example.com"}},
		{"ab_", []string{"ab_c@example.com"}},
		{"AB", []string{"ABZ@example.com"}},
		{"zz%", []string{"zz%@example.com"}},
		{"%", nil},
		{"é", []string{"élan@example.com"}},
		{"élan@example.com", []string{"élan@example.com"}},
		{"nobody", nil},
	} {
		page, _, err := s.ListIdentities(ctx(t), store.IdentityFilter{CredentialsIdentifierSimilar: tc.similar}, store.ListParams{})
		must(t, err)
		var got []string
		for _, id := range page {
			got = append(got, id.Credentials["password"].Identifiers[0])
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("similar %q = %v, want %v", tc.similar, got, tc.want)
		}
	}
}
