package settings

import (
	"encoding/json"

	"github.com/portico-auth/portico/internal/flow"
)

// appendSkeleton appends f's JSON as json.Marshal(f) writes it, by hand: encode calls it for
// the flow without its nodes and identity (the skeleton its node JSON is put into), twice per
// successful change (the submitted flow's success and the fresh flow), where json.Marshal's
// reflection and its re-scan of the nodes' and container's output cost more than the
// appending. Values of arbitrary type (continue_with) and an attached identity still go
// through json.Marshal. skeleton_internal_test.go compares the two.
func appendSkeleton(dst []byte, f *Flow) ([]byte, error) {
	if f.Identity != nil {
		raw, err := json.Marshal(f)
		if err != nil {
			return dst, err
		}
		return append(dst, raw...), nil
	}
	dst = append(dst, '{')
	dst, err := f.Base.AppendJSONMembers(dst)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"state":`...)
	dst = flow.AppendJSONString(dst, string(f.State))
	if f.Active != "" {
		dst = append(dst, `,"active":`...)
		dst = flow.AppendJSONString(dst, f.Active)
	}
	if len(f.ContinueWith) > 0 {
		raw, err := json.Marshal(f.ContinueWith)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"continue_with":`...)
		dst = append(dst, raw...)
	}
	return append(dst, '}'), nil
}
