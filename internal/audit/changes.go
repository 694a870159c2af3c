package audit

import (
	"bytes"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// Changes lists the events of the change from before to after (the same identity): a
// credential type that appeared, whose config or identifiers differ, or that went away, and
// each kind of verifiable address (via) whose addresses differ, or that became verified.
// Details carry what kind, never the credential or the address. by (BySelf, ByAdmin) is
// added to every event's details. A change of neither (traits, metadata) yields none.
func Changes(before, after *identity.Identity, by string) []Event {
	if before == nil || after == nil {
		return nil
	}
	id := after.ID
	var out []Event
	types := map[identity.CredentialsType]bool{}
	for t := range before.Credentials {
		types[t] = true
	}
	for t := range after.Credentials {
		types[t] = true
	}
	for _, t := range sortedKeys(types) {
		b, inB := before.Credentials[t]
		a, inA := after.Credentials[t]
		typ := ""
		switch {
		case !inB:
			typ = CredentialAdded
		case !inA:
			typ = CredentialRemoved
		case !bytes.Equal(b.Config, a.Config) || !slices.Equal(b.Identifiers, a.Identifiers):
			typ = CredentialChanged
		default:
			continue
		}
		out = append(out, New(typ, id, map[string]any{"type": string(t), "by": by}))
	}
	return append(out, addressChanges(before.VerifiableAddresses, after.VerifiableAddresses, id, by)...)
}

// Snapshot returns a copy of id that later changes to id's credentials and addresses leave
// as it is, for Changes once the change is made.
func Snapshot(id *identity.Identity) *identity.Identity {
	c := *id
	c.Credentials = maps.Clone(id.Credentials)
	c.VerifiableAddresses = slices.Clone(id.VerifiableAddresses)
	return &c
}

// addressChanges compares the verifiable addresses of each kind (via).
func addressChanges(before, after []identity.VerifiableAddress, id uuid.UUID, by string) []Event {
	key := func(a identity.VerifiableAddress) string { return strings.ToLower(a.Value) }
	type side struct {
		was, is map[string]identity.VerifiableAddress
	}
	vias := map[string]*side{}
	get := func(via string) *side {
		if vias[via] == nil {
			vias[via] = &side{was: map[string]identity.VerifiableAddress{}, is: map[string]identity.VerifiableAddress{}}
		}
		return vias[via]
	}
	for _, a := range before {
		get(a.Via).was[key(a)] = a
	}
	for _, a := range after {
		get(a.Via).is[key(a)] = a
	}
	var out []Event
	names := map[string]bool{}
	for via := range vias {
		names[via] = true
	}
	for _, via := range sortedKeys(names) {
		s := vias[via]
		added, removed, verified := 0, 0, 0
		for k, a := range s.is {
			b, ok := s.was[k]
			switch {
			case !ok:
				added++
			case a.Verified && !b.Verified:
				verified++
			}
		}
		for k := range s.was {
			if _, ok := s.is[k]; !ok {
				removed++
			}
		}
		details := map[string]any{"via": via, "by": by}
		switch {
		case added > 0 && removed > 0:
			out = append(out, New(AddressChanged, id, details))
		case added > 0:
			out = append(out, New(AddressAdded, id, details))
		case removed > 0:
			out = append(out, New(AddressRemoved, id, details))
		}
		if verified > 0 {
			out = append(out, New(AddressVerified, id, details))
		}
	}
	return out
}

func sortedKeys[K ~string](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
