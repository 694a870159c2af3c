// Package apierr is Portico's one error vocabulary: a small set of kinds that the store and the
// domain packages return, carrying the fields of Kratos's error JSON so that one place can write
// them to the wire.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error with the fields of Kratos's genericError object.
type Error struct {
	ID      string         `json:"id,omitempty"`
	Code    int            `json:"code"`
	Status  string         `json:"status"`
	Reason  string         `json:"reason,omitempty"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`

	// RedirectBrowserTo is repeated at the top level of the reply body, as Kratos does for
	// session_aal2_required and session_refresh_required.
	RedirectBrowserTo string `json:"-"`

	// CredentialsMissing, when set, is repeated at the top level of the reply body as Kratos's
	// "CredentialsMissing" field, which Kratos sends with its no-active-session error
	// (session_inactive) and with no other.
	CredentialsMissing *bool `json:"-"`

	cause error
}

func (e *Error) Error() string {
	s := e.Message
	if e.ID != "" {
		s = e.ID + ": " + s
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the error that caused this one, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error of the same kind (code and id), so that sentinels such
// as ErrNotFound match any not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.ID == "" || t.ID == e.ID)
}

func newKind(code int, message string) *Error {
	return &Error{Code: code, Status: http.StatusText(code), Message: message}
}

// The kinds. Use the With* methods to add a reason or details; they copy, never mutate.
var (
	ErrBadRequest   = newKind(http.StatusBadRequest, "The request was malformed or contained invalid parameters")
	ErrUnauthorized = newKind(http.StatusUnauthorized, "The request could not be authorized")
	ErrForbidden    = newKind(http.StatusForbidden, "The requested action was forbidden")
	ErrNotFound     = newKind(http.StatusNotFound, "The requested resource could not be found")
	ErrConflict     = newKind(http.StatusConflict, "The resource could not be created due to a conflict")
	ErrGone         = newKind(http.StatusGone, "The requested resource is no longer available")
	ErrTooLarge     = newKind(http.StatusRequestEntityTooLarge, "The request body is too large")
	ErrTooMany      = newKind(http.StatusTooManyRequests, "Too many requests, please slow down")
	// ErrUnprocessable is a request understood but not completed here (Kratos's
	// browser_location_change_required).
	ErrUnprocessable = newKind(http.StatusUnprocessableEntity, "The request was well-formed but was unable to be followed due to semantic errors")
	ErrInternal      = newKind(http.StatusInternalServerError, "An internal server error occurred, please contact the system administrator")
	ErrUnavailable   = newKind(http.StatusServiceUnavailable, "The service is temporarily unavailable, please try again later")
	// ErrBadGateway and ErrGatewayTimeout are a service Portico calls (a web hook) that answered
	// wrongly, could not be reached, or did not answer in time.
	ErrBadGateway     = newKind(http.StatusBadGateway, "An upstream service answered with an error or could not be reached")
	ErrGatewayTimeout = newKind(http.StatusGatewayTimeout, "An upstream service did not answer in time")
)

func (e *Error) clone() *Error {
	c := *e
	if e.Details != nil {
		c.Details = make(map[string]any, len(e.Details))
		for k, v := range e.Details {
			c.Details[k] = v
		}
	}
	return &c
}

// WithReason returns a copy with the reason set (printf-style).
func (e *Error) WithReason(format string, args ...any) *Error {
	c := e.clone()
	c.Reason = fmt.Sprintf(format, args...)
	return c
}

// WithID returns a copy with the error id set (e.g. "session_inactive").
func (e *Error) WithID(id string) *Error {
	c := e.clone()
	c.ID = id
	return c
}

// WithMessage returns a copy with the message replaced.
func (e *Error) WithMessage(msg string) *Error {
	c := e.clone()
	c.Message = msg
	return c
}

// WithDetail returns a copy with one detail added.
func (e *Error) WithDetail(key string, value any) *Error {
	c := e.clone()
	if c.Details == nil {
		c.Details = map[string]any{}
	}
	c.Details[key] = value
	return c
}

// WithCause returns a copy that wraps cause (kept for logs, never written to the wire).
func (e *Error) WithCause(cause error) *Error {
	c := e.clone()
	c.cause = cause
	return c
}

// WithRedirect returns a copy carrying redirect_browser_to at the top level of the reply.
func (e *Error) WithRedirect(url string) *Error {
	c := e.clone()
	c.RedirectBrowserTo = url
	return c
}

// WithCredentialsMissing returns a copy carrying Kratos's top-level CredentialsMissing field.
func (e *Error) WithCredentialsMissing(missing bool) *Error {
	c := e.clone()
	c.CredentialsMissing = &missing
	return c
}

// From returns the *Error in err's chain, or ErrInternal wrapping err when there is none.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal.WithCause(err)
}
