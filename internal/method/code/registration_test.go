package code_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/text"
)

// signUp submits a registration by code to flow f as fc: the traits for email, and code when
// set.
func signUp(t *testing.T, fc *apptest.FlowClient, f *apptest.Flow, email, code string) *apptest.Flow {
	t.Helper()
	v := map[string]string{"method": "code", "traits.email": email, "traits.name.first": "Cody"}
	if code != "" {
		v["code"] = code
	}
	return fc.Submit(t, f, v)
}

// TestSignUpWithCode: as a browser, an SPA and a native app: the traits → a code to their
// address (the real message) → a wrong code is refused (4040003) → the right one creates the
// identity with that address verified and signs it in by "code".
func TestSignUpWithCode(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "registration") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-signup")
			f := fc.Start(t)
			if !strings.Contains(string(f.Raw.Body), `"id":1040006`) {
				t.Fatalf("no 'Sign up with code' button: %s", f.Raw.Body)
			}
			sent := signUp(t, fc, f, email, "")
			status := http.StatusOK
			if fc.As == "browser" {
				status = http.StatusSeeOther
			}
			if sent.Status != status || sent.State != "sent_email" || !sent.HasMessage(text.InfoRegistrationCodeSent) {
				t.Fatalf("after sending: %d %s", sent.Status, sent.Raw.Body)
			}
			msg := mail.Last(t, email)
			if !strings.Contains(msg.Subject, "sign-up") {
				t.Fatalf("the message: %q", msg.Subject)
			}
			code := mail.Code(t, email)
			if wrong := signUp(t, fc, sent, email, apptest.WrongCode(code, 0)); !wrong.HasMessage(text.ErrorValidationRegistrationCodeInvalid) {
				t.Fatalf("a wrong code: %d %s", wrong.Status, wrong.Raw.Body)
			}
			done := signUp(t, fc, sent, email, code)
			if got := s.AuditTypes(t, email); got != "sign_up" {
				t.Errorf("audit trail %q, want the sign-up", got)
			}
			who := done.Raw
			if fc.As == "browser" {
				if done.Body != nil || done.Status != http.StatusSeeOther {
					t.Fatalf("browser sign-up by code: %d %s", done.Status, done.Raw.Body)
				}
				who = fc.C.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"Accept": {"application/json"}})
			}
			var res struct {
				SessionToken string `json:"session_token"`
				Session      struct {
					Identity struct {
						VerifiableAddresses []struct {
							Value    string `json:"value"`
							Verified bool   `json:"verified"`
							Status   string `json:"status"`
						} `json:"verifiable_addresses"`
						Credentials map[string]any `json:"credentials"`
					} `json:"identity"`
					AuthenticationMethods []struct {
						Method string `json:"method"`
					} `json:"authentication_methods"`
				} `json:"session"`
				// whoami is the session itself.
				Identity struct {
					VerifiableAddresses []struct {
						Value    string `json:"value"`
						Verified bool   `json:"verified"`
					} `json:"verifiable_addresses"`
				} `json:"identity"`
				AuthenticationMethods []struct {
					Method string `json:"method"`
				} `json:"authentication_methods"`
			}
			who.JSON(t, &res)
			if who.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", fc.As, who.StatusCode, who.Body)
			}
			switch fc.As {
			case "browser":
				if len(res.Identity.VerifiableAddresses) != 1 || !res.Identity.VerifiableAddresses[0].Verified || res.AuthenticationMethods[0].Method != "code" {
					t.Fatalf("whoami after a sign-up by code: %s", who.Body)
				}
			default:
				a := res.Session.Identity.VerifiableAddresses
				if len(a) != 1 || a[0].Value != email || !a[0].Verified || a[0].Status != "completed" || res.Session.AuthenticationMethods[0].Method != "code" {
					t.Fatalf("%s sign-up by code: %s", fc.As, who.Body)
				}
				if (fc.As == "native") != (res.SessionToken != "") {
					t.Fatalf("%s: session token %q", fc.As, res.SessionToken)
				}
			}
		})
	}
}

// TestSignUpWithCodeRefusals: a code proves the address it was sent to and no other; the code
// is single use; five wrong codes end it; an address that has an account gets a code like any
// other (the reply does not tell), and the second step refuses it as a duplicate.
func TestSignUpWithCodeRefusals(t *testing.T) {
	s, mail := start(t)
	fc := s.FlowClients(t, "registration")[2]

	email := apptest.Email("mismatch")
	f := fc.Start(t)
	signUp(t, fc, f, email, "")
	code := mail.Code(t, email)
	other := signUp(t, fc, f, apptest.Email("someone-else"), code)
	if other.Status != http.StatusBadRequest || !other.HasMessage(text.ErrorValidationTraitsMismatch) {
		t.Fatalf("a code for another address: %d %s", other.Status, other.Raw.Body)
	}
	if again := signUp(t, fc, f, email, code); !again.HasMessage(text.ErrorValidationRegistrationCodeInvalid) {
		t.Fatalf("the used code: %d %s", again.Status, again.Raw.Body)
	}

	// Five wrong codes end the code: the right one no longer signs anybody up.
	guessed := apptest.Email("guessed")
	g := fc.Start(t)
	signUp(t, fc, g, guessed, "")
	right := mail.Code(t, guessed)
	for i := range 5 {
		if r := signUp(t, fc, g, guessed, apptest.WrongCode(right, i)); !r.HasMessage(text.ErrorValidationRegistrationCodeInvalid) {
			t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Raw.Body)
		}
	}
	if r := signUp(t, fc, g, guessed, right); r.Status != http.StatusBadRequest || !r.HasMessage(text.ErrorValidationGeneric) {
		t.Fatalf("the right code after five wrong ones: %d %s", r.Status, r.Raw.Body)
	}

	taken := apptest.Email("taken")
	s.CreateIdentity(t, taken, "a password of the owner")
	newcomer := apptest.Email("newcomer")
	a := signUp(t, fc, fc.Start(t), taken, "")
	b := signUp(t, fc, fc.Start(t), newcomer, "")
	if x, y := apptest.Shape(a, taken), apptest.Shape(b, newcomer); x != y {
		t.Fatalf("replies differ:\ntaken    %s\nnewcomer %s", x, y)
	}
	dup := signUp(t, fc, a, taken, mail.Code(t, taken))
	if dup.Status != http.StatusBadRequest || !dup.HasMessage(text.ErrorValidationDuplicateCredentials) {
		t.Fatalf("a sign-up for a taken address: %d %s", dup.Status, dup.Raw.Body)
	}
}

// TestSignUpCodeRace: 100 concurrent submissions of the right code to one flow create one
// identity and one session; every other submission is refused (the code is used once).
func TestSignUpCodeRace(t *testing.T) {
	s, mail := start(t)
	fc := s.FlowClients(t, "registration")[2]
	email := apptest.Email("race")
	f := fc.Start(t)
	signUp(t, fc, f, email, "")
	code := mail.Code(t, email)
	body := fmt.Sprintf(`{"method":"code","code":%q,"traits":{"email":%q}}`, code, email)
	const n = 100
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, s.PublicURL("/self-service/registration?flow="+f.ID), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_ = res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	created := 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			created++
		case http.StatusBadRequest:
		default:
			t.Errorf("submission %d: status %d", i, st)
		}
	}
	if created != 1 {
		t.Fatalf("%d of %d concurrent submissions of one code signed up, want 1", created, n)
	}
	// The address is unique among identities, so one identity holds it.
	if _, err := s.App.Store.FindByVerifiableAddress(context.Background(), "email", email); err != nil {
		t.Fatalf("no identity holds %s after the race: %v", email, err)
	}
}

// TestSignUpCodeAddressSpellings: a code proves its address in the one normalised form
// identifiers are compared in (identity.NormalizeIdentifier): the address typed upper-case at the
// second step is the same address and signs up, with the address verified in its normalised
// form. (Full-width and decomposed spellings do not pass the email format check.)
func TestSignUpCodeAddressSpellings(t *testing.T) {
	s, mail := start(t)
	fc := s.FlowClients(t, "registration")[2]
	sent := apptest.Email("spell")
	f := signUp(t, fc, fc.Start(t), sent, "")
	code := mail.Code(t, sent)
	variant := strings.ToUpper(sent)
	r := signUp(t, fc, f, variant, code)
	if r.Status != http.StatusOK || r.Body["session"] == nil {
		t.Fatalf("the same address upper-case: %d %s", r.Status, r.Raw.Body)
	}
	if !strings.Contains(string(r.Raw.Body), `"value":"`+sent+`","verified":true`) {
		t.Fatalf("the address is not verified in its normalised form: %s", r.Raw.Body)
	}
}
