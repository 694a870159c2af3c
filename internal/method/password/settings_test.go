package password

import "testing"

func TestIsCommon(t *testing.T) {
	for pw, want := range map[string]bool{
		"password": true, "PASSWORD": true, "football": true, "123456": true,
		"correct horse battery staple": false, "a-long-enough-password": false, "": false,
	} {
		if got := IsCommon(pw); got != want {
			t.Errorf("IsCommon(%q) = %v, want %v", pw, got, want)
		}
	}
	if n := len(commonPasswords()); n < 7000 {
		t.Errorf("only %d common passwords loaded", n)
	}
}
