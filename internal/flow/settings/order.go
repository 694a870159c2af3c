package settings

import (
	"slices"

	"github.com/portico-auth/portico/internal/flow"
)

// groupOrder is the order in which Kratos shows a settings flow's node groups. Groups it does
// not list (passkey, …) follow, in the order their methods added them. The order is the
// flow's, not the server's method wiring, so a method added anywhere lands in its place.
var groupOrder = []flow.Group{
	flow.GroupDefault,
	flow.GroupProfile,
	flow.GroupPassword,
	flow.GroupOIDC,
	flow.GroupLookup,
	flow.GroupWebAuthn,
	flow.GroupTOTP,
}

func groupRank(g flow.Group) int {
	if i := slices.Index(groupOrder, g); i >= 0 {
		return i
	}
	return len(groupOrder)
}

// sortGroups orders nodes by group as Kratos does when it builds a settings flow; the order
// within a group (and among unlisted groups) is kept.
func sortGroups(nodes flow.Nodes) {
	slices.SortStableFunc(nodes, func(a, b flow.Node) int { return groupRank(a.Group) - groupRank(b.Group) })
}
