package password

import (
	"strings"
	"sync"

	"github.com/nbutton23/zxcvbn-go/frequency"
)

// The list of commonly used passwords is zxcvbn's "passwords" frequency list as shipped by
// the Go module github.com/nbutton23/zxcvbn-go (MIT licence; package frequency, list
// "Passwords"): 7,141 lower-case passwords ordered by frequency, taken from leaked password
// dumps, about 66 KB. It works offline, unlike a breach-count service.
var (
	commonOnce sync.Once
	common     map[string]struct{}
)

func commonPasswords() map[string]struct{} {
	commonOnce.Do(func() {
		list := frequency.Lists["Passwords"].List
		common = make(map[string]struct{}, len(list))
		for _, p := range list {
			common[strings.ToLower(p)] = struct{}{}
		}
	})
	return common
}

// IsCommon reports whether password (ignoring case) is on the list of commonly used passwords.
func IsCommon(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
