// Package webauthntest is a software WebAuthn authenticator for tests: it answers the
// creation and request options Portico renders with "none" attestation and ES256 assertions,
// under any origin the test chooses, so tests can also play a phishing page or a replay.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator holds ES256 keys, one per registered credential.
type Authenticator struct {
	// Origin is put into clientDataJSON.
	Origin string
	// UV sets the user-verified flag.
	UV bool
	// NextID, when set, is the credential id of the next key Create makes (then cleared): an
	// authenticator (or an attacker's script) claiming an id that was registered before.
	NextID []byte
	keys   []*Key
}

// Key is one credential.
type Key struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Counter    uint32
	priv       *ecdsa.PrivateKey
}

var b64 = base64.RawURLEncoding

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Allow []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func parse(optionsJSON string) (*options, error) {
	var o options
	if err := json.Unmarshal([]byte(optionsJSON), &o); err != nil {
		return nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	return &o, nil
}

func (a *Authenticator) flags(extra byte) byte {
	f := byte(0x01) | extra // UP
	if a.UV {
		f |= 0x04
	}
	return f
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// Create answers creation options (the JSON of the trigger node) with a new key and returns
// the JSON the browser script would submit. challenge, when not "", replaces the options'
// challenge (to play a stale or forged page).
func (a *Authenticator) Create(optionsJSON, challenge string) ([]byte, *Key, error) {
	o, err := parse(optionsJSON)
	if err != nil {
		return nil, nil, err
	}
	if challenge == "" {
		challenge = o.PublicKey.Challenge
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthntest: user id: %w", err)
	}
	k := &Key{ID: make([]byte, 32), RPID: o.PublicKey.RP.ID, UserHandle: handle, priv: priv}
	_, _ = rand.Read(k.ID)
	if a.NextID != nil {
		k.ID, a.NextID = a.NextID, nil
	}

	cose, err := COSEKey(priv)
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(k.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0x40)) // AT
	auth = binary.BigEndian.AppendUint32(auth, k.Counter)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(k.ID)))
	auth = append(auth, k.ID...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", challenge, a.Origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"usb"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	a.keys = append(a.keys, k)
	return out, k, nil
}

// Get answers request options with the first key the options allow (any key of the RP for a
// discoverable request) and returns the JSON the browser script would submit.
func (a *Authenticator) Get(optionsJSON, challenge string) ([]byte, error) {
	o, err := parse(optionsJSON)
	if err != nil {
		return nil, err
	}
	if challenge == "" {
		challenge = o.PublicKey.Challenge
	}
	var k *Key
	for _, c := range a.keys {
		if c.RPID != o.PublicKey.RPID {
			continue
		}
		if len(o.PublicKey.Allow) == 0 {
			k = c
			break
		}
		for _, al := range o.PublicKey.Allow {
			if al.ID == b64.EncodeToString(c.ID) {
				k = c
			}
		}
		if k != nil {
			break
		}
	}
	if k == nil {
		return nil, fmt.Errorf("webauthntest: no key for rp %q", o.PublicKey.RPID)
	}
	k.Counter++
	rpHash := sha256.Sum256([]byte(k.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0))
	auth = binary.BigEndian.AppendUint32(auth, k.Counter)
	cd := clientData("webauthn.get", challenge, a.Origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(k.UserHandle),
		},
	})
}

// COSEKey is priv's public key as the COSE_Key (EC2, ES256, P-256) an authenticator hands
// over at registration and a WebAuthn credential's config stores.
func COSEKey(priv *ecdsa.PrivateKey) ([]byte, error) {
	x, y := make([]byte, 32), make([]byte, 32)
	priv.PublicKey.X.FillBytes(x)
	priv.PublicKey.Y.FillBytes(y)
	return webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
}

// Add gives the authenticator a key made elsewhere (a fixture's private key, a key registered
// with another server), so that it can answer for it.
func (a *Authenticator) Add(id, userHandle []byte, rpID string, counter uint32, priv *ecdsa.PrivateKey) *Key {
	k := &Key{ID: id, RPID: rpID, UserHandle: userHandle, Counter: counter, priv: priv}
	a.keys = append(a.keys, k)
	return k
}
