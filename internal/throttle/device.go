package throttle

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// DeviceCookieName is the cookie that marks a browser or app that signed in before.
const DeviceCookieName = "portico_device"

// DefaultDeviceLifespan is how long a device stays trusted after its last sign-in.
const DefaultDeviceLifespan = 90 * 24 * time.Hour

// device cookie layout: version, random device id, identity id, expiry (Unix seconds), then
// the HMAC-SHA256 of all of it.
const (
	deviceVersion    = 1
	devicePayloadLen = 1 + 16 + 16 + 8
	deviceMACLen     = sha256.Size
)

// DeviceOptions are the device cookie's attributes; they follow the session cookie's.
type DeviceOptions struct {
	Path     string
	Domain   string
	Secure   bool
	SameSite http.SameSite
	// Lifespan is DefaultDeviceLifespan when zero.
	Lifespan time.Duration
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

// Devices issues and checks device cookies: a signed statement "this client signed in as
// identity X", so that its later attempts for X draw on a budget of its own. The cookie is
// HMAC-signed with a key derived from the cookie secrets (the first signs, all verify, so
// rotation keeps devices trusted), expires, and is HttpOnly. A nil *Devices issues nothing
// and trusts no device.
type Devices struct {
	keys [][]byte
	opts DeviceOptions
}

// NewDevices returns Devices signing with secrets (secrets.cookie); nil without a secret,
// which turns device cookies off.
func NewDevices(secrets []string, opts DeviceOptions) *Devices {
	if len(secrets) == 0 {
		return nil
	}
	if opts.Lifespan <= 0 {
		opts.Lifespan = DefaultDeviceLifespan
	}
	if opts.Path == "" {
		opts.Path = "/"
	}
	d := &Devices{opts: opts}
	for _, s := range secrets {
		// A key of its own, so that a device cookie's MAC can never stand in for anything
		// else signed with the cookie secret.
		m := hmac.New(sha256.New, []byte(s))
		m.Write([]byte("portico device cookie v1"))
		d.keys = append(d.keys, m.Sum(nil))
	}
	return d
}

func (d *Devices) now() time.Time { return d.opts.Now() }

func (d *Devices) mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)
}

// Remember sets a fresh device cookie for identityID on w.
func (d *Devices) Remember(w http.ResponseWriter, identityID uuid.UUID) {
	if d == nil || identityID == uuid.Nil {
		return
	}
	payload := make([]byte, devicePayloadLen)
	payload[0] = deviceVersion
	if _, err := rand.Read(payload[1:17]); err != nil {
		return
	}
	copy(payload[17:33], identityID[:])
	expires := d.now().Add(d.opts.Lifespan)
	binary.BigEndian.PutUint64(payload[33:], uint64(expires.Unix()))
	value := base64.RawURLEncoding.EncodeToString(append(payload, d.mac(d.keys[0], payload)...))
	http.SetCookie(w, &http.Cookie{
		Name:     DeviceCookieName,
		Value:    value,
		Path:     d.opts.Path,
		Domain:   d.opts.Domain,
		Expires:  expires.UTC(),
		MaxAge:   int(d.opts.Lifespan.Seconds()),
		HttpOnly: true,
		Secure:   d.opts.Secure,
		SameSite: d.opts.SameSite,
	})
}

// Trusted returns the id of the device r comes from when r carries a valid, unexpired device
// cookie issued to identityID; ok is false otherwise (no cookie, a forged or expired one, or
// one of another identity).
func (d *Devices) Trusted(r *http.Request, identityID uuid.UUID) (device string, ok bool) {
	if d == nil || identityID == uuid.Nil {
		return "", false
	}
	for _, c := range r.CookiesNamed(DeviceCookieName) {
		if id, ok := d.verify(c.Value, identityID); ok {
			return id, true
		}
	}
	return "", false
}

func (d *Devices) verify(value string, identityID uuid.UUID) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) != devicePayloadLen+deviceMACLen || raw[0] != deviceVersion {
		return "", false
	}
	payload, sum := raw[:devicePayloadLen], raw[devicePayloadLen:]
	valid := false
	for _, k := range d.keys {
		if hmac.Equal(sum, d.mac(k, payload)) {
			valid = true
			break
		}
	}
	if !valid || !hmac.Equal(payload[17:33], identityID[:]) {
		return "", false
	}
	if expires := int64(binary.BigEndian.Uint64(payload[33:])); d.now().Unix() >= expires {
		return "", false
	}
	return hex.EncodeToString(payload[1:17]), true
}
