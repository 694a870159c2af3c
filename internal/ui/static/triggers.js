// Wires the buttons of WebAuthn and passkey nodes to the functions the flow's own script
// defines (window.oryWebAuthnRegistration and friends), without inline handlers, so the
// Content-Security-Policy can forbid inline script. Each function reads its options from the
// trigger node's value.
(function () {
  "use strict";
  var valid = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

  function call(name) {
    if (!valid.test(name) || typeof window[name] !== "function") {
      if (window.console) { console.error("portico: no function " + name); }
      return;
    }
    window[name]();
  }

  window.addEventListener("load", function () {
    var clicks = document.querySelectorAll("[data-portico-onclick]");
    for (var i = 0; i < clicks.length; i++) {
      clicks[i].addEventListener("click", function (ev) {
        ev.preventDefault();
        call(ev.currentTarget.getAttribute("data-portico-onclick"));
      });
    }
    var loads = document.querySelectorAll("[data-portico-onload]");
    for (var j = 0; j < loads.length; j++) {
      call(loads[j].getAttribute("data-portico-onload"));
    }
  });
})();
