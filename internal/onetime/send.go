package onetime

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// Mailer queues a message (satisfied by *courier.Queue).
type Mailer interface {
	Enqueue(ctx context.Context, r courier.Request) (*store.Message, error)
}

// Dispatch is a code or link to send for a flow.
type Dispatch struct {
	Purpose string // PurposeVerification, PurposeRecovery, PurposeLogin or PurposeRegistration
	Method  string // MethodCode or MethodLink
	FlowID  uuid.UUID
	Via     string
	Address string
	// Identity holds the address; nil when none does. Then a code is still made (so the
	// request does the same work and takes the same time) but never sent: the address gets
	// the "invalid" message when NotifyUnknown is set, and nothing otherwise.
	Identity      *identity.Identity
	NotifyUnknown bool
	// URL builds the link sent with the code or token (the link method's link, or for a code
	// the flow's page with the code filled in).
	URL        func(secret string) string
	RequestURL string
	// Lifespan overrides the code's configured lifespan when set.
	Lifespan time.Duration
	// Traits are the traits of an identity not created yet: a sign-up code goes to the
	// address they give (with no Identity) and its message shows them.
	Traits map[string]any
}

// Send makes the code or link token of d and queues its message. Past the address's send budget
// nothing is made or queued and Send returns nil: the caller answers as if it was sent, so the
// reply says nothing about the address.
func (c *Codes) Send(ctx context.Context, mail Mailer, d Dispatch) error {
	if err := c.ReserveSend(ctx, d.Purpose, d.Via, d.Address); err != nil {
		if errors.Is(err, ErrSendLimited) {
			return nil
		}
		return err
	}
	t := Target{FlowID: d.FlowID, Purpose: d.Purpose, Via: d.Via, Address: d.Address, Lifespan: d.Lifespan}
	if d.Identity != nil {
		t.IdentityID = &d.Identity.ID
	}
	issue := c.Issue
	if d.Method == MethodLink {
		issue = c.IssueLink
	}
	iss, err := issue(ctx, t)
	if err != nil {
		return err
	}
	signUp := d.Purpose == PurposeRegistration
	if d.Identity == nil && !signUp && (!d.NotifyUnknown || d.Purpose == PurposeLogin) {
		// (There is no "invalid" message for a sign-in code.)
		return nil
	}
	req := courier.Request{Template: template(d.Purpose, d.Method, d.Identity != nil || signUp), To: d.Address,
		Channel: channel(d.Via), Data: courier.TemplateData{RequestURL: d.RequestURL}}
	if signUp {
		req.Data.RegistrationCode, req.Data.Traits = iss.Secret, d.Traits
		req.Data.ExpiresInMinutes = int(iss.ExpiresAt.Sub(c.opts.Now()).Round(time.Minute).Minutes())
	}
	if d.Identity != nil {
		if req.Data.Identity, err = courier.IdentityData(d.Identity); err != nil {
			return err
		}
		req.Data.ExpiresInMinutes = int(iss.ExpiresAt.Sub(c.opts.Now()).Round(time.Minute).Minutes())
		link := ""
		if d.URL != nil {
			link = d.URL(iss.Secret)
		}
		switch {
		case d.Purpose == PurposeLogin:
			req.Data.LoginCode = iss.Secret
		case d.Purpose == PurposeVerification && d.Method == MethodCode:
			req.Data.VerificationCode, req.Data.VerificationURL = iss.Secret, link
		case d.Purpose == PurposeVerification:
			req.Data.VerificationURL = link
		case d.Method == MethodCode:
			req.Data.RecoveryCode, req.Data.RecoveryURL = iss.Secret, link
		default:
			req.Data.RecoveryURL = link
		}
	}
	_, err = mail.Enqueue(ctx, req)
	return err
}

func channel(via string) string {
	if via == "sms" {
		return courier.ChannelSMS
	}
	return courier.ChannelEmail
}

// template is the Kratos template type of a message.
func template(purpose, method string, known bool) courier.TemplateType {
	type key struct {
		purpose, method string
		known           bool
	}
	return map[key]courier.TemplateType{
		{PurposeVerification, MethodCode, true}:  courier.VerificationCodeValid,
		{PurposeVerification, MethodCode, false}: courier.VerificationCodeInvalid,
		{PurposeVerification, MethodLink, true}:  courier.VerificationValid,
		{PurposeVerification, MethodLink, false}: courier.VerificationInvalid,
		{PurposeRecovery, MethodCode, true}:      courier.RecoveryCodeValid,
		{PurposeRecovery, MethodCode, false}:     courier.RecoveryCodeInvalid,
		{PurposeRecovery, MethodLink, true}:      courier.RecoveryValid,
		{PurposeRecovery, MethodLink, false}:     courier.RecoveryInvalid,
		{PurposeLogin, MethodCode, true}:         courier.LoginCodeValid,
		{PurposeRegistration, MethodCode, true}:  courier.RegistrationCodeValid,
	}[key{purpose, method, known}]
}
