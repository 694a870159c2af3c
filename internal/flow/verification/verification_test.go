package verification_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

func start(t *testing.T, opts ...apptest.Option) (*apptest.Server, *apptest.Mail) {
	t.Helper()
	s := apptest.Start(t, append([]apptest.Option{apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true")}, opts...)...)
	return s, s.StartMail(t)
}

func address(t *testing.T, s *apptest.Server, id *identity.Identity) identity.VerifiableAddress {
	t.Helper()
	got, err := s.App.Store.GetIdentity(context.Background(), id.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	return got.VerifiableAddresses[0]
}

// TestVerifyWithCode: as a browser, an SPA and a native app, an address is verified with the
// code from the real message.
func TestVerifyWithCode(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "verification") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-verify")
			id := s.CreateIdentity(t, email, "a long enough password")
			f := fc.Start(t)
			if f.State != "choose_method" {
				t.Fatalf("new flow: %s", f.Raw.Body)
			}
			f = fc.Submit(t, f, map[string]string{"method": "code", "email": strings.ToUpper(email)})
			fc.Want(t, f, http.StatusOK, "sent_email", text.InfoVerificationEmailWithCodeSent)
			if a := address(t, s, id); a.Status != "sent" || a.Verified {
				t.Fatalf("after sending: %+v", a)
			}
			msg := mail.Last(t, email)
			if !strings.Contains(msg.Text, f.ID) {
				t.Fatalf("the message has no link to the flow: %q", msg.Text)
			}
			code := mail.Code(t, email)
			f = fc.Submit(t, f, map[string]string{"method": "code", "code": code})
			fc.Want(t, f, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
			a := address(t, s, id)
			if !a.Verified || a.Status != "completed" || a.VerifiedAt == nil {
				t.Fatalf("after the code: %+v", a)
			}
			// Reused: the flow is done.
			again := fc.Submit(t, f, map[string]string{"method": "code", "code": code})
			fc.Want(t, again, http.StatusBadRequest, "passed_challenge", text.ErrorValidationVerificationRetrySuccess)
		})
	}
}

// TestWrongReusedExpiredCodes: a wrong code, a used one and an expired one are refused with
// 4070006 and leave the address unverified; five wrong codes end the flow (4000001 on a new
// flow), and then even the right code does not verify.
func TestWrongReusedExpiredCodes(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "verification") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-wrong")
			id := s.CreateIdentity(t, email, "a long enough password")
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			code := mail.Code(t, email)
			wrong := apptest.WrongCode(code, 0)
			bad := fc.Submit(t, f, map[string]string{"method": "code", "code": wrong})
			fc.Want(t, bad, http.StatusBadRequest, "sent_email", text.ErrorValidationVerificationCodeInvalid)

			// Expired: the code's lifespan (15m) is over, the flow's (1h) is not.
			s.Clock.Advance(16 * time.Minute)
			expired := fc.Submit(t, f, map[string]string{"method": "code", "code": code})
			fc.Want(t, expired, http.StatusBadRequest, "sent_email", text.ErrorValidationVerificationCodeInvalid)

			// A new code, used once, then refused.
			f = fc.Submit(t, f, map[string]string{"method": "code", "email": email})
			fresh := mail.Code(t, email)
			other := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "code": fresh})
			fc.Want(t, other, http.StatusBadRequest, "choose_method", text.ErrorValidationVerificationCodeInvalid)
			if address(t, s, id).Verified {
				t.Fatal("verified by a wrong, expired or foreign code")
			}

			// Brute force: the flow has had one wrong code (an expired one is not a try); four
			// more, then it is over, even for the code sent again.
			for i := range 4 {
				g := apptest.WrongCode(fresh, i)
				r := fc.Submit(t, f, map[string]string{"method": "code", "code": g})
				fc.Want(t, r, http.StatusBadRequest, "sent_email", text.ErrorValidationVerificationCodeInvalid)
			}
			r := fc.Submit(t, f, map[string]string{"method": "code", "code": fresh})
			fc.Want(t, r, http.StatusBadRequest, "choose_method", text.ErrorValidationGeneric)
			if r.ID == f.ID {
				t.Fatal("too many codes: the reply is not a new flow")
			}
			if address(t, s, id).Verified {
				t.Fatal("the right code was accepted after five wrong ones")
			}
		})
	}
}

// TestUnknownAddressIsIndistinguishable: an address no identity holds gets the same reply as
// a known one (same status, state, messages, nodes), nothing is sent to it by default, and
// the "invalid" message when notify_unknown_recipients is on.
func TestUnknownAddressIsIndistinguishable(t *testing.T) {
	for _, notify := range []bool{false, true} {
		t.Run(fmt.Sprint("notify=", notify), func(t *testing.T) {
			s, mail := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_NOTIFY_UNKNOWN_RECIPIENTS", fmt.Sprint(notify)))
			knownAddr, unknownAddr := apptest.Email("known"), apptest.Email("unknown")
			s.CreateIdentity(t, knownAddr, "a long enough password")
			for _, fc := range s.FlowClients(t, "verification") {
				known := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": knownAddr})
				unknown := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": unknownAddr})
				if a, b := apptest.Shape(known, knownAddr), apptest.Shape(unknown, unknownAddr); a != b {
					t.Fatalf("%s: replies differ:\nknown   %s\nunknown %s", fc.As, a, b)
				}
			}
			mail.Deliver(t)
			var toUnknown []string
			for _, m := range mail.Box.Mails() {
				if m.To[0] == unknownAddr {
					toUnknown = append(toUnknown, m.Subject)
				}
			}
			if !notify && len(toUnknown) != 0 || notify && len(toUnknown) != 3 {
				t.Fatalf("notify=%v: messages to the unknown address: %v", notify, toUnknown)
			}
			for _, m := range mail.Box.Mails() {
				if m.To[0] == unknownAddr && apptest.HasCodeLine(m.Text) {
					t.Fatalf("the unknown address got a code: %q", m.Text)
				}
			}
		})
	}
}

// TestConcurrentGuesses: 100 concurrent wrong codes on one flow over HTTP: five are judged
// (4070006), every other is refused as submitted too often, and the right code is refused after.
func TestConcurrentGuesses(t *testing.T) {
	s, mail := start(t)
	email := apptest.Email("race")
	id := s.CreateIdentity(t, email, "a long enough password")
	fc := s.FlowClients(t, "verification")[2]
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
	code := mail.Code(t, email)
	const n = 100
	var mu sync.Mutex
	counts := map[int]int{}
	var failures []string
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"method":"code","code":%q}`, apptest.WrongCode(code, i))
			req, _ := http.NewRequest(http.MethodPost, s.PublicURL("/self-service/verification?flow="+f.ID), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			res, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err.Error())
				return
			}
			defer res.Body.Close()
			var reply struct {
				UI struct {
					Messages []struct {
						ID int `json:"id"`
					} `json:"messages"`
				} `json:"ui"`
			}
			if err := json.NewDecoder(res.Body).Decode(&reply); err != nil || len(reply.UI.Messages) == 0 {
				failures = append(failures, fmt.Sprintf("status %d: %v", res.StatusCode, err))
				return
			}
			for _, m := range reply.UI.Messages {
				counts[m.ID]++
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed: %v", len(failures), n, failures[0])
	}
	if counts[text.ErrorValidationVerificationCodeInvalid] != 5 || counts[text.ErrorValidationGeneric] != n-5 {
		t.Fatalf("%d concurrent wrong codes: %v, want 5 judged and %d refused", n, counts, n-5)
	}
	r := fc.Submit(t, f, map[string]string{"method": "code", "code": code})
	if !r.HasMessage(text.ErrorValidationGeneric) || address(t, s, id).Verified {
		t.Fatalf("the right code after the race: %s", r.Raw.Body)
	}
}

// TestDisabled: with the flow off, every endpoint answers 400.
func TestDisabled(t *testing.T) {
	s := apptest.Start(t)
	r := s.Native(t).Get(s.PublicURL("/self-service/verification/api"))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), "disabled") {
		t.Fatalf("disabled: %d %s", r.StatusCode, r.Body)
	}
}

// TestRegistrationStartsVerification: a sign-up (native, and browser with the
// show_verification_ui hook) answers with continue_with show_verification_ui; the code from
// the message verifies the address in that flow.
func TestRegistrationStartsVerification(t *testing.T) {
	s, mail := start(t, apptest.WithConfig(apptest.ShowVerificationUI))
	t.Run("native", func(t *testing.T) {
		email := apptest.Email("signup-native")
		c := s.Native(t)
		var f struct{ ID string }
		c.Get(s.PublicURL("/self-service/registration/api")).JSON(t, &f)
		r := c.PostJSON(s.PublicURL("/self-service/registration?flow="+f.ID), map[string]any{
			"method": "password", "password": "a long enough password",
			"traits": map[string]any{"email": email, "name": map[string]any{"first": "N"}},
		})
		var res struct {
			Identity struct {
				ID                  string                       `json:"id"`
				VerifiableAddresses []identity.VerifiableAddress `json:"verifiable_addresses"`
			} `json:"identity"`
			ContinueWith []struct {
				Action string `json:"action"`
				Flow   struct {
					ID                string `json:"id"`
					URL               string `json:"url"`
					VerifiableAddress string `json:"verifiable_address"`
				} `json:"flow"`
			} `json:"continue_with"`
		}
		r.JSON(t, &res)
		if r.StatusCode != http.StatusOK || len(res.ContinueWith) != 2 || res.ContinueWith[1].Action != "show_verification_ui" {
			t.Fatalf("registration: %d %s", r.StatusCode, r.Body)
		}
		cw := res.ContinueWith[1].Flow
		if cw.VerifiableAddress != email || cw.URL != "" || res.Identity.VerifiableAddresses[0].Status != "sent" {
			t.Fatalf("continue_with: %+v, addresses %+v", cw, res.Identity.VerifiableAddresses)
		}
		fc := &apptest.FlowClient{S: s, C: c, Kind: "verification", As: "native"}
		vf := fc.Read(t, cw.ID)
		if vf.State != "sent_email" {
			t.Fatalf("the verification flow: %s", vf.Raw.Body)
		}
		done := fc.Submit(t, vf, map[string]string{"method": "code", "code": mail.Code(t, email)})
		fc.Want(t, done, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
	})
	t.Run("browser", func(t *testing.T) {
		email := apptest.Email("signup-browser")
		c := s.Browser(t)
		id, csrf := s.BrowserFlow(t, c, "registration")
		r := c.PostForm(s.PublicURL("/self-service/registration?flow="+id), map[string][]string{
			"method": {"password"}, "password": {"a long enough password"}, "csrf_token": {csrf},
			"traits.email": {email}, "traits.name.first": {"B"},
		})
		loc := apptest.URL(t, r.Header.Get("Location"))
		if r.StatusCode != http.StatusSeeOther || loc.Path != "/ui/verification" || loc.Query().Get("flow") == "" {
			t.Fatalf("registration with show_verification_ui: %d to %s", r.StatusCode, loc)
		}
		fc := &apptest.FlowClient{S: s, C: c, Kind: "verification", As: "browser"}
		done := fc.Submit(t, fc.Read(t, loc.Query().Get("flow")), map[string]string{"method": "code", "code": mail.Code(t, email)})
		fc.Want(t, done, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
	})
}

// TestVerifyWithLink: with use: link, the message carries a link; following it verifies the
// address once; a second visit or a forged token does not.
func TestVerifyWithLink(t *testing.T) {
	s, mail := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_USE", "link"))
	email := apptest.Email("link")
	id := s.CreateIdentity(t, email, "a long enough password")
	c := s.Browser(t)
	fc := &apptest.FlowClient{S: s, C: c, Kind: "verification", As: "browser"}
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "link", "email": email})
	fc.Want(t, f, http.StatusOK, "sent_email", text.InfoVerificationEmailSent)
	link := linkIn(t, mail.Last(t, email).Text)
	forged := fc.Follow(t, c.Get(s.PublicURL("/self-service/verification?flow="+f.ID+"&token=forged")))
	if !forged.HasMessage(text.ErrorValidationVerificationTokenInvalid) || address(t, s, id).Verified {
		t.Fatalf("a forged token: %s", forged.Raw.Body)
	}
	done := fc.Follow(t, c.Get(link))
	fc.Want(t, done, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
	if !address(t, s, id).Verified {
		t.Fatal("not verified by the link")
	}
	again := fc.Follow(t, c.Get(link))
	if !again.HasMessage(text.ErrorValidationVerificationTokenInvalid) {
		t.Fatalf("the link a second time: %s", again.Raw.Body)
	}
}

// TestSettingsChangeStartsVerification: as a browser, an SPA and a native app, a profile change
// that gives the identity a new address sends a verification message there (Kratos's verification
// hook of the settings flow): JSON replies carry continue_with show_verification_ui for it, and the
// code from the real message verifies it. A change that keeps the address sends nothing.
func TestSettingsChangeStartsVerification(t *testing.T) {
	s, mail := start(t)
	for _, as := range []string{"browser", "spa", "native"} {
		t.Run(as, func(t *testing.T) {
			old, email := apptest.Email(as+"-before"), apptest.Email(as+"-after")
			id := s.CreateIdentity(t, old, "a long enough password")
			c := s.Browser(t)
			if as == "native" {
				c = s.Native(t)
				c.Header.Set("X-Session-Token", s.LoginNative(t, old, "a long enough password"))
			} else {
				s.LoginBrowser(t, c, old, "a long enough password")
				if as == "spa" {
					c.Header.Set("Accept", "application/json")
				}
			}
			fc := &apptest.FlowClient{S: s, C: c, Kind: "settings", As: as}
			f := fc.Start(t)
			same := fc.Submit(t, f, map[string]string{"method": "profile", "traits.email": old, "traits.name.first": "Same"})
			if same.State != "success" || strings.Contains(string(same.Raw.Body), "show_verification_ui") {
				t.Fatalf("a change that keeps the address: %d %s", same.Status, same.Raw.Body)
			}
			done := fc.Submit(t, fc.Start(t), map[string]string{"method": "profile", "traits.email": email, "traits.name.first": "New"})
			if done.State != "success" {
				t.Fatalf("the new address: %d %s", done.Status, done.Raw.Body)
			}
			if got := address(t, s, id); got.Value != email || got.Status != "sent" || got.Verified {
				t.Fatalf("the new address after the change: %+v", got)
			}
			var flowID string
			if as != "browser" {
				var res struct {
					ContinueWith []struct {
						Action string `json:"action"`
						Flow   struct {
							ID                string `json:"id"`
							VerifiableAddress string `json:"verifiable_address"`
						} `json:"flow"`
					} `json:"continue_with"`
					Identity struct {
						VerifiableAddresses []identity.VerifiableAddress `json:"verifiable_addresses"`
					} `json:"identity"`
				}
				done.Raw.JSON(t, &res)
				if len(res.ContinueWith) == 0 || res.ContinueWith[0].Action != "show_verification_ui" || res.ContinueWith[0].Flow.VerifiableAddress != email ||
					res.Identity.VerifiableAddresses[0].Status != "sent" {
					t.Fatalf("%s: the reply: %s", as, done.Raw.Body)
				}
				flowID = res.ContinueWith[0].Flow.ID
			}
			code := mail.Code(t, email)
			vc := &apptest.FlowClient{S: s, C: c, Kind: "verification", As: as}
			if flowID == "" {
				// A browser is sent back to the settings page; it verifies in a new flow.
				vf := vc.Submit(t, vc.Start(t), map[string]string{"method": "code", "email": email})
				code, flowID = mail.Code(t, email), vf.ID
			}
			passed := vc.Submit(t, vc.Read(t, flowID), map[string]string{"method": "code", "code": code})
			vc.Want(t, passed, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
			if got := address(t, s, id); !got.Verified {
				t.Fatalf("not verified: %+v", got)
			}
		})
	}
	// Only the new addresses got a message.
	mail.Deliver(t)
	for _, m := range mail.Box.Mails() {
		if strings.Contains(m.To[0], "-before") && strings.Contains(strings.ToLower(m.Subject), "verif") {
			t.Fatalf("a verification message to an address that stayed: %s", m)
		}
	}
}

// TestAfterHookSeesVerifiedIdentity: a web hook in selfservice.flows.verification.after runs
// once the address is verified, and its ctx.identity is the identity with that address verified.
func TestAfterHookSeesVerifiedIdentity(t *testing.T) {
	app := apptest.StartHookApp(t, nil)
	body := "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) { flow_id: ctx.flow.id, identity: if std.objectHas(ctx, "identity") then ctx.identity else null }`))
	s, mail := start(t, apptest.WithConfig(fmt.Sprintf(`selfservice:
  flows:
    verification:
      after:
        hooks:
          - hook: web_hook
            config: {url: %s/verified, method: POST, body: %q}
`, app.URL, body)))
	email := apptest.Email("hooked")
	id := s.CreateIdentity(t, email, "a long enough password")
	fc := &apptest.FlowClient{S: s, C: s.Native(t), Kind: "verification", As: "native"}
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
	if len(app.Calls("/verified")) != 0 {
		t.Fatal("the after hook ran before the code")
	}
	done := fc.Submit(t, f, map[string]string{"method": "code", "code": mail.Code(t, email)})
	fc.Want(t, done, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
	calls := app.Calls("/verified")
	if len(calls) != 1 {
		t.Fatalf("%d calls to the after hook", len(calls))
	}
	var got struct {
		FlowID   string `json:"flow_id"`
		Identity *struct {
			ID                  string                       `json:"id"`
			VerifiableAddresses []identity.VerifiableAddress `json:"verifiable_addresses"`
		} `json:"identity"`
	}
	b, _ := json.Marshal(calls[0].Body)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.FlowID != f.ID || got.Identity == nil || got.Identity.ID != id.ID.String() ||
		len(got.Identity.VerifiableAddresses) != 1 || !got.Identity.VerifiableAddresses[0].Verified ||
		got.Identity.VerifiableAddresses[0].Status != "completed" || got.Identity.VerifiableAddresses[0].VerifiedAt == nil {
		t.Fatalf("the hook's ctx: %s", b)
	}
}

// TestLinkInAnotherFlowIsNotSpent: a link's token opened with another flow's id (100 times at
// once) is refused with 4070005 and stays usable: whoever gets the link opened in the wrong flow
// cannot destroy it; the right flow then verifies the address.
func TestLinkInAnotherFlowIsNotSpent(t *testing.T) {
	s, mail := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_USE", "link"))
	email := apptest.Email("wrongflow")
	id := s.CreateIdentity(t, email, "a long enough password")
	c := s.Browser(t)
	fc := &apptest.FlowClient{S: s, C: c, Kind: "verification", As: "browser"}
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "link", "email": email})
	link := apptest.URL(t, linkIn(t, mail.Last(t, email).Text))
	token := link.Query().Get("token")
	other := fc.Start(t)
	const n = 100
	var mu sync.Mutex
	var wrong []string
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, s.PublicURL("/self-service/verification?flow="+other.ID+"&token="+token), nil)
			req.Header.Set("Accept", "application/json")
			res, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				wrong = append(wrong, err.Error())
				return
			}
			defer res.Body.Close()
			var reply struct {
				UI struct {
					Messages []struct {
						ID int `json:"id"`
					} `json:"messages"`
				} `json:"ui"`
			}
			if err := json.NewDecoder(res.Body).Decode(&reply); err != nil || res.StatusCode != http.StatusBadRequest ||
				len(reply.UI.Messages) != 1 || reply.UI.Messages[0].ID != text.ErrorValidationVerificationTokenInvalid {
				wrong = append(wrong, fmt.Sprintf("status %d %v %+v", res.StatusCode, err, reply))
			}
		}()
	}
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("%d of %d opens in another flow: %v", len(wrong), n, wrong[0])
	}
	if address(t, s, id).Verified {
		t.Fatal("verified through another flow")
	}
	done := fc.Follow(t, c.Get(link.String()))
	fc.Want(t, done, http.StatusOK, "passed_challenge", text.InfoVerificationSuccessful)
	if done.ID != f.ID || !address(t, s, id).Verified {
		t.Fatalf("the link in its own flow after the wrong ones: %s", done.Raw.Body)
	}
}

// linkIn is the first word of a message that carries a token.
func linkIn(t *testing.T, msg string) string {
	t.Helper()
	for _, w := range strings.Fields(msg) {
		if strings.Contains(w, "token=") {
			return w
		}
	}
	t.Fatalf("no link in %q", msg)
	return ""
}

// TestInactiveCannotVerify: a code sent before the account was deactivated is refused (4070006,
// as a wrong one) and verifies nothing; an inactive account gets no new code and the reply is a
// known address's, as recovery does.
func TestInactiveCannotVerify(t *testing.T) {
	s, mail := start(t)
	for _, fc := range s.FlowClients(t, "verification") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email(fc.As + "-inactive")
			id := s.CreateIdentity(t, email, "a long enough password")
			f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			code := mail.Code(t, email)
			id, err := s.App.Store.GetIdentity(context.Background(), id.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			id.State, id.StateChangedAt = identity.StateInactive, nil
			if err := s.App.Identities.Update(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			fc.Want(t, fc.Submit(t, f, map[string]string{"method": "code", "code": code}), http.StatusBadRequest, "sent_email", text.ErrorValidationVerificationCodeInvalid)
			if address(t, s, id).Verified {
				t.Fatal("an inactive identity's address was verified")
			}
			mail.Deliver(t)
			before := len(mail.Box.Mails())
			again := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "email": email})
			fc.Want(t, again, http.StatusOK, "sent_email", text.InfoVerificationEmailWithCodeSent)
			mail.Deliver(t)
			if n := len(mail.Box.Mails()); n != before {
				t.Fatalf("the inactive account got %d new messages", n-before)
			}
		})
	}
}
