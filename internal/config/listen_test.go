package config

import "testing"

// TestAdminHostDefaultsToLoopback: the admin API has no authentication, so an unset
// serve.admin.host binds 127.0.0.1 (dev mode too); the public host stays as configured, and an
// explicit admin host is kept.
func TestAdminHostDefaultsToLoopback(t *testing.T) {
	for _, dev := range []bool{false, true} {
		c, _, err := load(t, minimal, nil, dev)
		if err != nil {
			t.Fatal(err)
		}
		if c.Serve.Admin.Host != "127.0.0.1" || c.Serve.Public.Host != "" {
			t.Errorf("dev=%v: admin host %q, public host %q", dev, c.Serve.Admin.Host, c.Serve.Public.Host)
		}
	}
	c, _, err := load(t, minimal, map[string]string{"SERVE_ADMIN_HOST": "0.0.0.0"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.Admin.Host != "0.0.0.0" {
		t.Errorf("explicit admin host: %q", c.Serve.Admin.Host)
	}
}
