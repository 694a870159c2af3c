package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddress(t *testing.T) {
	trusting, err := New([]string{"10.0.0.0/8", "192.0.2.7", "2001:db8:1::/48"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		rs     *Resolver
		remote string
		header map[string]string
		want   string
	}{
		{"no proxy trusted: header ignored", &Resolver{}, "203.0.113.9:1234", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "203.0.113.9"},
		{"nil resolver", nil, "203.0.113.9:1234", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "203.0.113.9"},
		{"untrusted peer: header ignored", trusting, "203.0.113.9:1234", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "203.0.113.9"},
		{"trusted peer", trusting, "10.1.2.3:1234", map[string]string{"X-Forwarded-For": "198.51.100.4"}, "198.51.100.4"},
		{"client-forged left entries are skipped", trusting, "10.1.2.3:1234", map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.4, 10.9.9.9"}, "198.51.100.4"},
		{"single trusted address", trusting, "192.0.2.7:80", map[string]string{"X-Forwarded-For": "198.51.100.4"}, "198.51.100.4"},
		{"trusted peer without header", trusting, "10.1.2.3:1234", nil, "10.1.2.3"},
		{"garbage stops at last trusted hop", trusting, "10.1.2.3:1234", map[string]string{"X-Forwarded-For": "198.51.100.4, nonsense"}, "10.1.2.3"},
		{"Forwarded", trusting, "10.1.2.3:1234", map[string]string{"Forwarded": `for=198.51.100.4;proto=https, for="[2001:db8:1::5]:443"`}, "198.51.100.4"},
		{"Forwarded ipv6 client", trusting, "10.1.2.3:1234", map[string]string{"Forwarded": `for="[2001:db8:2::5]:443"`}, "2001:db8:2::5"},
		{"ipv6 peer", &Resolver{}, "[2001:db8::1]:99", nil, "2001:db8::1"},
		{"mapped ipv4 peer", &Resolver{}, "[::ffff:203.0.113.9]:99", nil, "203.0.113.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			if got := c.rs.Address(r); got.String() != c.want {
				t.Fatalf("Address = %s, want %s", got, c.want)
			}
		})
	}
}

func TestNewRejectsBadCIDR(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", ""} {
		if _, err := New([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestKey(t *testing.T) {
	if k := Key(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k != Key(netip.MustParseAddr("2001:db8:1:2:ffff::1")) || k != "2001:db8:1:2::/64" {
		t.Fatalf("IPv6 key %s", k)
	}
	if k := Key(netip.MustParseAddr("192.0.2.1")); k != "192.0.2.1" {
		t.Fatalf("IPv4 key %s", k)
	}
}
