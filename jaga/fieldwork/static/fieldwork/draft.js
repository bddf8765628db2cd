/* Jaga field forms: keep what was typed on the phone until the server has it.
   - Every change is saved in localStorage under the form's draft name (files excepted).
   - A fresh form restores the draft, including its idempotency key: sending it again after a
     failed or unanswered attempt never creates a second record.
   - The page shown after a successful save carries ?saved=<name> and clears the draft. */
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  var params = new URLSearchParams(window.location.search);
  var saved = params.get("saved");
  if (saved) { store.removeItem("jaga-draft-" + saved); }
  var form = document.querySelector("form[data-draft]");
  if (!form) { return; }
  var key = "jaga-draft-" + form.getAttribute("data-draft");
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "submit" &&
        el.name !== "csrfmiddlewaretoken";
    });
  }
  function save() {
    var data = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { data[el.name + "=" + el.value] = el.checked; }
      else { data[el.name] = el.value; }
    });
    data.__saved = new Date().toISOString();
    try { store.setItem(key, JSON.stringify(data)); } catch (e) { /* storage full: keep going */ }
  }
  function restore() {
    var raw = store.getItem(key);
    if (!raw) { return null; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return null; }
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        var k = el.name + "=" + el.value;
        if (k in data) { el.checked = data[k]; }
      } else if (el.name in data) { el.value = data[el.name]; }
    });
    return data;
  }
  var notice = document.getElementById("draft-notice");
  if (form.getAttribute("data-bound") !== "1") {
    var data = restore();
    if (data && notice) {
      notice.hidden = false;
      var when = notice.querySelector("[data-when]");
      if (when && data.__saved) { when.textContent = new Date(data.__saved).toLocaleString(); }
    }
  } else { save(); }
  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () { store.removeItem(key); window.location.reload(); });
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", function () {
    save();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = button.getAttribute("data-sending") || button.textContent;
      // If no answer comes (weak signal), let the officer try again with the same key.
      window.setTimeout(function () { button.disabled = false; }, 15000);
    }
  });
})();
