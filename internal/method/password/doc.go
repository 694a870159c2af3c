// Package password is the password method: the policy a new password must meet, and the
// method's parts of the registration, login and settings flows.
package password
