package flow

import (
	"encoding/hex"
	"time"

	"github.com/google/uuid"
)

// AppendJSONMembers appends b's members as json.Marshal writes them inside the object of a flow
// that embeds Base ("id" through "updated_at", comma-separated, no braces), for a flow type
// that encodes itself by hand: encoding/json spends its time on reflection and on re-scanning
// the nodes' MarshalJSON output, which Container.AppendJSON writes directly. The bytes are
// json.Marshal's (the settings flow's skeleton tests compare them, and fail when Base gains a
// member this does not write).
func (b *Base) AppendJSONMembers(dst []byte) ([]byte, error) {
	dst = append(dst, `"id":`...)
	dst = appendUUID(dst, b.ID)
	dst = append(dst, `,"organization_id":`...)
	if b.OrganizationID == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendUUID(dst, *b.OrganizationID)
	}
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, string(b.Type))
	var err error
	dst = append(dst, `,"expires_at":`...)
	if dst, err = appendTime(dst, b.ExpiresAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"issued_at":`...)
	if dst, err = appendTime(dst, b.IssuedAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"request_url":`...)
	dst = appendString(dst, b.RequestURL)
	if b.ReturnTo != "" {
		dst = append(dst, `,"return_to":`...)
		dst = appendString(dst, b.ReturnTo)
	}
	dst = append(dst, `,"ui":`...)
	if dst, err = b.UI.AppendJSON(dst); err != nil {
		return dst, err
	}
	if !b.CreatedAt.IsZero() {
		dst = append(dst, `,"created_at":`...)
		if dst, err = appendTime(dst, b.CreatedAt); err != nil {
			return dst, err
		}
	}
	if !b.UpdatedAt.IsZero() {
		dst = append(dst, `,"updated_at":`...)
		if dst, err = appendTime(dst, b.UpdatedAt); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// AppendJSONString appends s as json.Marshal writes a string (HTML-safe, invalid UTF-8 as
// U+FFFD).
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }

// appendUUID appends id as its quoted text form, as json.Marshal writes it (MarshalText).
func appendUUID(dst []byte, id uuid.UUID) []byte {
	var buf [38]byte
	buf[0], buf[37] = '"', '"'
	hex.Encode(buf[1:9], id[0:4])
	buf[9] = '-'
	hex.Encode(buf[10:14], id[4:6])
	buf[14] = '-'
	hex.Encode(buf[15:19], id[6:8])
	buf[19] = '-'
	hex.Encode(buf[20:24], id[8:10])
	buf[24] = '-'
	hex.Encode(buf[25:37], id[10:16])
	return append(dst, buf[:]...)
}

// appendTime appends t quoted as Time.MarshalJSON writes it (its text form is the same strict
// RFC 3339, and fails where MarshalJSON fails: a year outside 0-9999).
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	dst = append(dst, '"')
	out, err := t.AppendText(dst)
	if err != nil {
		return dst, err
	}
	return append(out, '"'), nil
}
