// The verification, recovery, code sign-in and code sign-up journeys of a native app, driven
// by Ory's JavaScript SDK (@ory/client, the version pinned in package.json and package-lock.json).
// js_test.go starts a whole Portico with an in-process SMTP server, runs this script with
// PORTICO_URL set, and answers its requests for codes:
//
//   script → test (stdout):  "code <address>"        the test reads the newest message to the
//   test → script (stdin):   "<six digits>"          address from the SMTP server
//                            "ok <journey>"          a journey passed
//
// Anything else on stdout is passed through to the test log; a failure exits non-zero with
// the reply that broke the journey on stderr.
'use strict'

const readline = require('node:readline')
const { Configuration, FrontendApi } = require('@ory/client')

const base = process.env.PORTICO_URL
if (!base) {
  console.error('PORTICO_URL is not set')
  process.exit(2)
}
const ory = new FrontendApi(new Configuration({ basePath: base.replace(/\/$/, '') }))

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()

// codeFor asks the test for the code in the newest message to address.
async function codeFor(address) {
  process.stdout.write(`code ${address}\n`)
  const { value, done } = await lines.next()
  if (done) throw new Error(`no code for ${address}: stdin closed`)
  return value.trim()
}

function check(cond, what, data) {
  if (!cond) throw new Error(`${what}: ${JSON.stringify(data, null, 2)}`)
}

// replyOf returns the JSON body of an error the SDK throws for a 4xx reply (a flow shown
// again with its messages); anything else is rethrown.
async function replyOf(promise) {
  try {
    return (await promise).data
  } catch (e) {
    if (e.response) return e.response.data
    throw e
  }
}

const messageIds = (flow) => (flow.ui.messages || []).map((m) => m.id)

// signUpAndVerify: a password sign-up whose continue_with shows a verification flow; the
// code from the message verifies the address.
async function signUpAndVerify(email, password) {
  const { data: flow } = await ory.createNativeRegistrationFlow()
  const { data: done } = await ory.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: 'password', password, traits: { email, name: { first: 'Jay' } } },
  })
  check(done.session_token, 'registration gives a session token', done)
  const show = (done.continue_with || []).find((c) => c.action === 'show_verification_ui')
  check(show && show.flow && show.flow.verifiable_address === email, 'registration continues with show_verification_ui', done)

  const { data: vf } = await ory.getVerificationFlow({ id: show.flow.id })
  check(vf.state === 'sent_email', 'the verification flow waits for the code', vf)
  const code = await codeFor(email)
  const { data: passed } = await ory.updateVerificationFlow({
    flow: vf.id,
    updateVerificationFlowBody: { method: 'code', code },
  })
  check(passed.state === 'passed_challenge' && messageIds(passed).includes(1080002), 'the code verifies', passed)

  const { data: session } = await ory.toSession({ xSessionToken: done.session_token })
  const addr = session.identity.verifiable_addresses.find((a) => a.value === email)
  check(addr && addr.verified && addr.status === 'completed' && addr.verified_at, 'the address is verified', session)

  // The code was used: a second try is refused with the flow shown again.
  const again = await replyOf(ory.updateVerificationFlow({ flow: vf.id, updateVerificationFlowBody: { method: 'code', code } }))
  check(again.ui && messageIds(again).length > 0 && !messageIds(again).includes(1080002), 'a used code is refused', again)
}

// forgotPassword: recovery by code → a session and a settings flow → a new password → sign in
// with it, and not with the old one.
async function forgotPassword(email, oldPassword, newPassword) {
  const { data: flow } = await ory.createNativeRecoveryFlow()
  const { data: sent } = await ory.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: 'code', email },
  })
  check(sent.state === 'sent_email' && messageIds(sent).includes(1060003), 'the recovery code is sent', sent)
  const code = await codeFor(email)
  const { data: recovered } = await ory.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: 'code', code },
  })
  const token = (recovered.continue_with || []).find((c) => c.action === 'set_ory_session_token')
  const settings = (recovered.continue_with || []).find((c) => c.action === 'show_settings_ui')
  check(recovered.state === 'passed_challenge' && token && settings, 'recovery continues with a session token and settings', recovered)

  const xSessionToken = token.ory_session_token
  const { data: sf } = await ory.getSettingsFlow({ id: settings.flow.id, xSessionToken })
  check(messageIds(sf).includes(1060001), 'the settings flow says the account was recovered', sf)
  const { data: saved } = await ory.updateSettingsFlow({
    flow: sf.id,
    xSessionToken,
    updateSettingsFlowBody: { method: 'password', password: newPassword },
  })
  check(saved.state === 'success', 'the new password is saved', saved)

  const signIn = async (password) => {
    const { data: lf } = await ory.createNativeLoginFlow()
    return replyOf(ory.updateLoginFlow({
      flow: lf.id,
      updateLoginFlowBody: { method: 'password', identifier: email, password },
    }))
  }
  const fresh = await signIn(newPassword)
  check(fresh.session_token, 'the new password signs in', fresh)
  const stale = await signIn(oldPassword)
  check(!stale.session_token && messageIds(stale).includes(4000006), 'the old password no longer signs in', stale)
}

// signInByCode: the address → the code from the message → a session by the code method.
async function signInByCode(email) {
  const { data: flow } = await ory.createNativeLoginFlow()
  const sent = await replyOf(ory.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'code', identifier: email },
  }))
  check(sent.state === 'sent_email' && messageIds(sent).includes(1010014), 'the sign-in code is sent', sent)
  const code = await codeFor(email)
  const wrong = await replyOf(ory.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'code', identifier: email, code: code === '000000' ? '111111' : '000000' },
  }))
  check(!wrong.session_token && messageIds(wrong).includes(4010008), 'a wrong code is refused', wrong)
  const { data: done } = await ory.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'code', identifier: email, code },
  })
  check(done.session_token, 'the code signs in', done)
  const { data: session } = await ory.toSession({ xSessionToken: done.session_token })
  check(session.active && session.authentication_methods.some((m) => m.method === 'code'), 'the session is by code', session)
}

// signUpByCode: the traits → the code from the message → a new identity, signed in by code,
// with its address verified; a wrong code first is refused.
async function signUpByCode(email) {
  const { data: flow } = await ory.createNativeRegistrationFlow()
  const traits = { email, name: { first: 'Kim' } }
  const sent = await replyOf(ory.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: 'code', traits },
  }))
  check(sent.state === 'sent_email' && messageIds(sent).includes(1040005), 'the sign-up code is sent', sent)
  const code = await codeFor(email)
  const wrong = await replyOf(ory.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: 'code', traits, code: code === '000000' ? '111111' : '000000' },
  }))
  check(!wrong.session_token && messageIds(wrong).includes(4040003), 'a wrong sign-up code is refused', wrong)
  const { data: done } = await ory.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: 'code', traits, code },
  })
  check(done.session_token, 'the code signs up', done)
  const { data: session } = await ory.toSession({ xSessionToken: done.session_token })
  const addr = session.identity.verifiable_addresses.find((a) => a.value === email)
  check(addr && addr.verified && session.authentication_methods.some((m) => m.method === 'code'), 'signed up by code, address verified', session)
}

async function main() {
  const email = process.env.PORTICO_EMAIL || 'jay@example.com'
  const first = 'a first passphrase of some length'
  const second = 'a second passphrase of some length'
  await signUpAndVerify(email, first)
  console.log('ok sign-up and verification')
  await forgotPassword(email, first, second)
  console.log('ok recovery, settings and sign-in')
  await signInByCode(email)
  console.log('ok sign-in by code')
  await signUpByCode(process.env.PORTICO_EMAIL_CODE || 'kim@example.com')
  console.log('ok sign-up by code')
  process.exit(0)
}

main().catch((e) => {
  if (e.response) {
    console.error(`${e.config && e.config.method} ${e.config && e.config.url}: ${e.response.status}\n${JSON.stringify(e.response.data, null, 2)}`)
  } else {
    console.error(e.stack || String(e))
  }
  process.exit(1)
})
