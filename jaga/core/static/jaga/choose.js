// Choose a place, person or organisation by typing its name (jaga.core.choose).
//
// Two kinds of field are enhanced; without JavaScript both still work (the server resolves a
// typed name, and a <select> is a <select>):
// - <input data-choose="village" data-choose-url="/pilih/desa/">: a text box that asks the URL
//   (?q=...) for suggestions as the user types. The real field becomes a hidden input holding the
//   chosen code or number; a name typed but not chosen is sent as typed and resolved on the server.
// - <select data-choose="select">: a text box that filters the select's own options.
// Keyboard: arrows move through the list, Enter chooses, Escape closes. ARIA combobox pattern.
// The words come translated from the <script> tag's data-* attributes (base.html).
(function () {
  "use strict";
  var counter = 0;
  var script = document.currentScript;
  var words = {
    placeholder: "Type a name…",
    count: "%s suggestions",
    none: "Nothing found in your area.",
  };
  if (script) {
    Object.keys(words).forEach(function (key) {
      var given = script.getAttribute("data-" + key);
      if (given) words[key] = given;
    });
  }

  function text(key) {
    return words[key];
  }

  function build(field, source) {
    counter += 1;
    var id = "choose-" + counter;
    var box = document.createElement("div");
    box.className = "choose";
    var input = document.createElement("input");
    input.type = "text";
    input.id = field.id || id + "-input";
    input.className = "choose-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    if (field.required) input.required = true;
    var describedBy = field.getAttribute("aria-describedby");
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    if (field.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", "true");
    input.placeholder = field.getAttribute("data-choose-placeholder") || text("placeholder");
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "choose-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("span");
    status.className = "choose-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);

    var items = [];
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].removeAttribute("aria-selected");
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(index) {
      var item = items[index];
      if (!item) return;
      input.value = item.label;
      source.set(item.value, item.label);
      input.removeAttribute("aria-invalid");
      status.textContent = item.label;
      close();
    }

    function show(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.textContent = item.label;
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
          pick(i);
        });
        list.appendChild(li);
      });
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = text("count").replace("%s", String(results.length));
      } else {
        close();
        status.textContent = input.value.trim().length >= 2 ? text("none") : "";
      }
      active = -1;
    }

    input.addEventListener("input", function () {
      source.typed(input.value);
      source.find(input.value, show);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) source.find(input.value, show);
        else highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        if (open) {
          event.preventDefault();
          highlight(active <= 0 ? items.length - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(active);
        } else if (open && items.length === 1) {
          event.preventDefault();
          pick(0);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
    return { box: box, input: input };
  }

  function remote(field) {
    var url = field.getAttribute("data-choose-url");
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = field.name;
    hidden.value = field.value;
    var timer = null;
    var controller = null;
    var source = {
      set: function (value) {
        hidden.value = value;
      },
      typed: function (value) {
        hidden.value = value; // resolved by name on the server unless a suggestion is chosen
      },
      find: function (query, done) {
        window.clearTimeout(timer);
        if (query.trim().length < 2) {
          done([]);
          return;
        }
        timer = window.setTimeout(function () {
          if (controller) controller.abort();
          controller = typeof AbortController === "function" ? new AbortController() : null;
          var sep = url.indexOf("?") === -1 ? "?" : "&";
          var within = field.getAttribute("data-choose-within");
          var full = url + sep + "q=" + encodeURIComponent(query.trim());
          if (within) full += "&within=" + encodeURIComponent(within);
          fetch(full, {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
            signal: controller ? controller.signal : undefined,
          })
            .then(function (response) {
              return response.ok ? response.json() : { results: [] };
            })
            .then(function (data) {
              done(data.results || []);
            })
            .catch(function () {});
        }, 200);
      },
    };
    var built = build(field, source);
    built.input.value = field.value; // the server already shows a stored code as its label
    field.parentNode.insertBefore(built.box, field);
    field.parentNode.insertBefore(hidden, field);
    field.remove();
  }

  function local(select) {
    var options = Array.prototype.slice.call(select.options).filter(function (o) {
      return o.value !== "";
    });
    var source = {
      set: function (value) {
        select.value = value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      },
      typed: function (value) {
        var wanted = value.trim().toLowerCase();
        var same = options.filter(function (o) {
          return o.text.trim().toLowerCase() === wanted;
        });
        select.value = same.length === 1 ? same[0].value : "";
      },
      find: function (query, done) {
        var q = query.trim().toLowerCase();
        if (!q) {
          done([]);
          return;
        }
        var starts = [];
        var contains = [];
        options.forEach(function (o) {
          var label = o.text.toLowerCase();
          var group = o.parentNode && o.parentNode.label ? o.parentNode.label : "";
          var item = { value: o.value, label: group ? o.text + " (" + group + ")" : o.text };
          if (label.indexOf(q) === 0) starts.push(item);
          else if (label.indexOf(q) !== -1 || group.toLowerCase().indexOf(q) !== -1) contains.push(item);
        });
        done(starts.concat(contains).slice(0, 12));
      },
    };
    var built = build(select, source);
    if (select.id) select.id = select.id + "-select";
    var chosen = select.options[select.selectedIndex];
    built.input.value = chosen && chosen.value !== "" ? chosen.text : "";
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(built.box, select);
  }

  function enhance(root) {
    var fields = root.querySelectorAll("[data-choose]:not([data-choose-ready])");
    Array.prototype.forEach.call(fields, function (field) {
      field.setAttribute("data-choose-ready", "1");
      if (field instanceof HTMLSelectElement) local(field);
      else if (field instanceof HTMLInputElement && field.getAttribute("data-choose-url")) remote(field);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document);
    });
  } else {
    enhance(document);
  }
  window.jagaChoose = { enhance: enhance };
})();
