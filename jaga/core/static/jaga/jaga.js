// Behaviour that used to sit in inline event handlers, which the Content-Security-Policy forbids:
// <select data-autosubmit> submits its form on change; <button data-print> opens the print dialog.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (el) {
      event.preventDefault();
      window.print();
    }
  });
  // <… hx-get data-online-only>: asked for only when the phone has a connection (the unread
  // count in the top bar), so a page opened offline asks nothing it cannot get.
  document.addEventListener("htmx:confirm", function (event) {
    var el = event.target;
    if (!navigator.onLine && el instanceof Element && el.hasAttribute("data-online-only")) {
      event.preventDefault();
    }
  });
})();
