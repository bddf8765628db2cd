// Phone layout (issue 12): tables become cards on a narrow screen. Each body cell gets the text of
// its column header as data-label (a cell that already has one keeps it) and the table the class
// `cards`; jaga.css draws the label before the value under 640 px. <table data-keep-table> and
// tables without a header row stay tables. Runs again on content htmx swaps in.
(function () {
  "use strict";

  function headerNames(table) {
    var head = table.tHead;
    if (!head || !head.rows.length) return null;
    var row = head.rows[head.rows.length - 1];
    var names = [];
    for (var i = 0; i < row.cells.length; i++) {
      var cell = row.cells[i];
      var text = cell.hasAttribute("data-label")
        ? cell.getAttribute("data-label")
        : cell.textContent.replace(/\s+/g, " ").trim();
      for (var span = 0; span < (cell.colSpan || 1); span++) names.push(text);
    }
    return names;
  }

  function label(table) {
    if (table.hasAttribute("data-keep-table")) return;
    var names = headerNames(table);
    if (!names) return;
    var sections = Array.prototype.slice.call(table.tBodies);
    if (table.tFoot) sections.push(table.tFoot);
    sections.forEach(function (section) {
      for (var r = 0; r < section.rows.length; r++) {
        var col = 0;
        var cells = section.rows[r].cells;
        for (var c = 0; c < cells.length; c++) {
          var cell = cells[c];
          if (!cell.hasAttribute("data-label")) {
            var name = (cell.colSpan || 1) > 1 ? "" : names[col] || "";
            cell.setAttribute("data-label", name);
          }
          col += cell.colSpan || 1;
        }
      }
    });
    table.classList.add("cards");
  }

  function run(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.tagName === "TABLE") label(scope);
    Array.prototype.forEach.call(scope.querySelectorAll("table"), label);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { run(document); });
  } else {
    run(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    run(event.target && event.target.closest ? event.target.closest("table") || event.target : document);
  });
})();
