// The records table: selection (rows, page, all matching), the bulk bar, the gold dialog with the trainers'
// question widgets (window.Assay.widgets from widgets.js / ranking.js / spans.js), keyboard shortcuts, and
// letting htmx swap a 400 answer (a bad filter value shows inline instead of being dropped).
(function () {
  "use strict";
  var A = window.Assay = window.Assay || { widgets: {} };
  var dialog = document.getElementById("gold-dialog");
  var dialogBody = document.getElementById("gold-dialog-body");
  if (!dialog) return;

  // a 400 from the table (bad filter, bad bulk input) is content to show, not an error to drop
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 400 && e.detail.target && e.detail.target.id === "records-table") {
      e.detail.shouldSwap = true; e.detail.isError = false;
    }
  });

  function bulkForm() { return document.getElementById("bulk-form"); }
  function rowBoxes() { var f = bulkForm(); return f ? Array.prototype.slice.call(f.querySelectorAll('input[name="ids"]')) : []; }
  function selectedIds() { return rowBoxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; }); }
  function scopeAll() { var f = bulkForm(); var s = f && f.querySelector('input[name="scope"]'); return !!(s && s.checked); }

  function refreshCount() {
    var f = bulkForm(); if (!f) return;
    var n = selectedIds().length, out = f.querySelector('[data-testid="selected-count"]');
    if (out) out.textContent = scopeAll() ? "all matching selected" : n + " selected";
    var page = f.querySelector("[data-select-page]"), boxes = rowBoxes();
    if (page) { page.checked = boxes.length > 0 && n === boxes.length; page.indeterminate = n > 0 && n < boxes.length; }
    var prio = f.querySelector('input[name="priority"]'), action = f.querySelector('select[name="action"]');
    if (prio && action) prio.hidden = action.value !== "priority";
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("[data-select-page]")) { rowBoxes().forEach(function (b) { b.checked = t.checked; }); }
    if (t.closest && t.closest("#bulk-form")) refreshCount();
  });
  document.body.addEventListener("htmx:afterSwap", refreshCount);
  refreshCount();

  // ---- the bulk bar: "Mark gold…" opens the form; everything else asks for confirmation first
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.id === "bulk-form") {
      var action = f.querySelector('select[name="action"]').value;
      var n = scopeAll() ? "every record matching the filter" : selectedIds().length + " record(s)";
      if (!scopeAll() && !selectedIds().length) { e.preventDefault(); e.stopImmediatePropagation(); alert("Select records first (the boxes on the left)."); return; }
      if (action === "gold") { e.preventDefault(); e.stopImmediatePropagation(); openGold(); return; }
      if ((action === "requeue" || action === "remove") && !window.confirm(
        (action === "requeue" ? "Requeue " + n + "? Their judgments stay but no longer count; new people judge them."
                              : "Take " + n + " out of the queue? Live leases end.") )) {
        e.preventDefault(); e.stopImmediatePropagation();
      }
    }
    if (f.id === "gold-form") fillExpected(f, e);
  }, true);

  var widgets = [];
  function openGold() {
    var f = bulkForm(), params = new URLSearchParams();
    selectedIds().forEach(function (id) { params.append("ids", id); });
    // the current filter always travels with the form: saving refreshes the table with it (and, with
    // "all matching" ticked, it is also the set of records marked)
    f.querySelectorAll('input[name^="f."]').forEach(function (h) { params.append(h.name.slice(2), h.value); });
    if (scopeAll()) {
      params.set("scope", "all");
      if (!selectedIds().length) { var first = rowBoxes()[0]; if (first) params.append("ids", first.value); }
    }
    fetch("/projects/" + f.dataset.project + "/gold/form?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (res) {
        dialogBody.innerHTML = res.text;
        if (window.htmx) window.htmx.process(dialogBody);
        initWidgets();
        dialog.showModal();
        var first = dialogBody.querySelector("fieldset.question input, fieldset.question textarea, fieldset.question [tabindex]");
        if (first) first.focus();
      });
  }

  function initWidgets() {
    widgets = [];
    var data = JSON.parse((dialogBody.querySelector("#gold-record-data") || {}).textContent || "{}");
    A.completions = (data.completions || []).map(function (t) { return { text: t }; });
    dialogBody.querySelectorAll("fieldset.question").forEach(function (fs) {
      var make = A.widgets[fs.dataset.kind];
      var w = make ? make(fs, { options: JSON.parse(fs.dataset.options || "{}"), name: fs.dataset.question,
                                changed: function () {}, completions: A.completions }) : null;
      var initial = JSON.parse(fs.dataset.answer || "null");
      if (w && initial && Object.keys(initial).length && w.set) w.set(initial, true);
      widgets.push({ el: fs, name: fs.dataset.question, widget: w });
      fs.addEventListener("keydown", function (e) {
        if (!w || !w.key || e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.target.matches && e.target.matches("textarea, input[type=text], input[type=number]")) return;
        if (w.key(e)) e.preventDefault();
      });
    });
  }

  function fillExpected(form, e) {
    var out = {};
    widgets.forEach(function (q) {
      var a = null;
      if (q.widget && q.widget.get) a = q.widget.get();
      else {
        var h = q.el.querySelector('input[name="a.' + q.name + '.json"]');
        if (h && h.value) { try { a = JSON.parse(h.value); } catch (err) { a = null; } }
      }
      if (a && Object.keys(a).length) out[q.name] = a;
    });
    var err = document.getElementById("gold-form-error");
    if (!Object.keys(out).length) {
      e.preventDefault(); e.stopImmediatePropagation();
      if (err) { err.textContent = "Answer at least one question: that is the expected (gold) answer."; err.hidden = false; }
      return;
    }
    form.querySelector('input[name="expected_json"]').value = JSON.stringify(out);
  }
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (elt && elt.id === "gold-form") {
      if (e.detail.successful) dialog.close();
      else {
        var err = document.getElementById("gold-form-error");
        if (err) { err.textContent = (e.detail.xhr && e.detail.xhr.responseText || "").replace(/<[^>]*>/g, "").trim() || "Not saved."; err.hidden = false; }
      }
    }
  });
  // the gold form's errors are shown in the dialog, not in the page's flash area
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.requestConfig && e.detail.requestConfig.elt && e.detail.requestConfig.elt.id === "gold-form" &&
        e.detail.xhr.status >= 400) { e.detail.shouldSwap = false; }
  });

  // ---- keys: "/" focuses the text search; Ctrl+A inside the table selects the page
  document.addEventListener("keydown", function (e) {
    if (dialog.open) return;
    var typing = e.target.matches && e.target.matches("input[type=search], input:not([type]), input[type=text], input[type=number], textarea, select");
    if (e.key === "/" && !typing) { var q = document.getElementById("f-q"); if (q) { e.preventDefault(); q.focus(); q.select(); } }
    if ((e.ctrlKey || e.metaKey) && e.key === "a" && e.target.closest && e.target.closest(".records-table")) {
      e.preventDefault(); var all = rowBoxes(); var on = !all.every(function (b) { return b.checked; });
      all.forEach(function (b) { b.checked = on; }); refreshCount();
    }
  });
})();
