package server

import (
	"fmt"
	"net/url"
)

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("not an absolute URL: %q", s)
	}
	return u, nil
}
