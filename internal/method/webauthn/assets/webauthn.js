// Portico's WebAuthn helper for self-service forms. The server renders the options of a
// ceremony as the value of a trigger button (webauthn_register_trigger, webauthn_login_trigger,
// passkey_register_trigger, passkey_login_trigger); the functions below read them, ask the
// browser's authenticator, write its answer (binary fields base64url-encoded) into the
// matching hidden input and submit the form with the right method.
(function () {
  "use strict";

  function toBytes(s) {
    var b64 = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function fromBytes(buf) {
    if (!buf) { return undefined; }
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function field(name) {
    return document.querySelector('[name="' + name + '"]');
  }

  // options accepts what a trigger was given (an object or JSON text), else the trigger's value.
  function options(given, trigger) {
    if (given && typeof given === "object") { return given; }
    if (typeof given === "string" && given !== "") { return JSON.parse(given); }
    var el = field(trigger);
    if (!el || !el.value) { throw new Error("portico: no WebAuthn options in " + trigger); }
    return JSON.parse(el.value);
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: toBytes(c.id) };
      if (c.transports) { d.transports = c.transports; }
      return d;
    });
  }

  function submit(input, method, value) {
    var el = field(input);
    if (!el) { throw new Error("portico: missing input " + input); }
    el.value = JSON.stringify(value);
    var form = el.form || el.closest("form");
    var m = form.querySelector('input[type="hidden"][name="method"]');
    if (!m) {
      m = document.createElement("input");
      m.type = "hidden";
      m.name = "method";
      form.appendChild(m);
    }
    m.value = method;
    form.submit();
  }

  function create(given, trigger, input, method) {
    var opts = options(given, trigger);
    var pk = opts.publicKey || opts;
    pk.challenge = toBytes(pk.challenge);
    pk.user.id = toBytes(pk.user.id);
    pk.excludeCredentials = descriptors(pk.excludeCredentials);
    return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
      var r = cred.response;
      submit(input, method, {
        id: cred.id,
        rawId: fromBytes(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        response: {
          clientDataJSON: fromBytes(r.clientDataJSON),
          attestationObject: fromBytes(r.attestationObject),
          transports: typeof r.getTransports === "function" ? r.getTransports() : undefined
        }
      });
    });
  }

  function get(given, trigger, input, method, mediation) {
    var opts = options(given, trigger);
    var pk = opts.publicKey || opts;
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    var req = { publicKey: pk };
    if (mediation) { req.mediation = mediation; }
    return navigator.credentials.get(req).then(function (cred) {
      var r = cred.response;
      submit(input, method, {
        id: cred.id,
        rawId: fromBytes(cred.rawId),
        type: cred.type,
        response: {
          clientDataJSON: fromBytes(r.clientDataJSON),
          authenticatorData: fromBytes(r.authenticatorData),
          signature: fromBytes(r.signature),
          userHandle: fromBytes(r.userHandle)
        }
      });
    });
  }

  function report(p) {
    return p.catch(function (err) { window.console && console.error("portico webauthn:", err); });
  }

  window.oryWebAuthnRegistration = function (o) {
    return report(create(o, "webauthn_register_trigger", "webauthn_register", "webauthn"));
  };
  window.oryWebAuthnLogin = function (o) {
    return report(get(o, "webauthn_login_trigger", "webauthn_login", "webauthn"));
  };
  window.oryPasskeySettingsRegistration = function (o) {
    var name = field("passkey_settings_register") ? "passkey_settings_register" : "passkey_register";
    return report(create(o, "passkey_register_trigger", name, "passkey"));
  };
  window.oryPasskeyRegistration = function (o) {
    return report(create(o, "passkey_register_trigger", "passkey_register", "passkey"));
  };
  window.oryPasskeyLogin = function (o) {
    return report(get(o, "passkey_login_trigger", "passkey_login", "passkey"));
  };
  window.oryPasskeyLoginAutocompleteInit = function (o) {
    if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) { return; }
    return PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (ok) { return report(get(o, "passkey_login_trigger", "passkey_login", "passkey", "conditional")); }
    });
  };
})();
