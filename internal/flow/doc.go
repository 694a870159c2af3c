// Package flow is the machinery every self-service flow (login, registration, settings,
// logout, …) shares: the flow base fields, the UI container and node model exactly as Kratos
// serialises it, browser-vs-JSON negotiation, return_to checks, CSRF, and error replies.
//
// A concrete flow package builds on it like this:
//
//	type Flow struct {
//		flow.Base
//		State string `json:"state"`
//		// … flow-specific fields
//	}
//
//	// create
//	f := &Flow{Base: flow.NewBase(flow.TypeBrowser, r, public, "/self-service/login", now, lifespan)}
//	rt, err := returnTo.Check(r.URL.Query().Get("return_to")) // 400 self_service_flow_return_to_forbidden
//	token := ""                                               // API flows show an empty token
//	if f.Type == flow.TypeBrowser {
//		token = csrf.Token(w, r) // sets the CSRF cookie only when the browser holds none
//	}
//	f.UI.Nodes.Append(flow.NewCSRFNode(token))
//	// methods append their nodes: flow.NewInput, flow.NewSubmit, flow.NewTextNode, …
//	rec, _ := flow.Record("login", &f.Base, nil, f) // store.FlowRecord for store.Flows
//
//	// reply
//	if flow.WantsJSON(r) { flow.Reply(w, 200, f) } else { flow.Redirect(w, r, flow.AppendQuery(uiURL, "flow", f.ID.String())) }
//
//	// submit
//	flow.Decode(rec, &f)
//	if err := f.Valid(now); err != nil { /* 410; add use_flow_id via apierr.From(err).WithDetail */ }
//	if err := csrf.VerifyFlow(r, f.Type, body.CSRFToken); err != nil { errs.Write(w, r, err) }
//	f.UI.ResetMessages(); f.UI.Nodes.AddMessage("password", text.NewPasswordMinLength(8, 3))
//
// Every error goes through ErrorWriter.Write, which answers JSON callers with Kratos's error
// JSON and sends browsers to the error UI (or to the error's redirect_browser_to). Every reply
// of this package sets Cache-Control: no-store.
package flow
