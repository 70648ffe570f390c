// The annotate page: keyboard shortcuts, autosave of drafts (server + local backup), active-time tracking.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var project = form.dataset.project, record = form.dataset.record;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var status = document.getElementById("save-status");
  var localKey = "assay:draft:" + project + ":" + record;
  var activeInput = form.querySelector('input[name="active_seconds"]');

  // ---- active time: count a second only when the page is visible and someone acted in the last 60 s
  var active = parseFloat(form.dataset.active || "0") || 0;
  var lastInput = Date.now();
  ["keydown", "mousedown", "mousemove", "wheel", "touchstart", "input"].forEach(function (ev) {
    document.addEventListener(ev, function () { lastInput = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastInput < 60000) {
      active += 1;
      activeInput.value = active.toFixed(0);
    }
  }, 1000);

  // ---- answers as JSON (same shape the server parses from the form)
  function collect() {
    var out = {};
    new FormData(form).forEach(function (value, key) {
      if (key.indexOf("a.") !== 0 || value === "") return;
      var rest = key.slice(2), dot = rest.indexOf(".");
      var name = rest.slice(0, dot), field = rest.slice(dot + 1);
      if (field === "json") { try { var v = JSON.parse(value); if (v) out[name] = v; } catch (e) {} return; }
      out[name] = out[name] || {};
      out[name][field] = /^\d+$/.test(value) && field !== "text" ? parseInt(value, 10) : value;
    });
    return out;
  }

  // ---- autosave: on every change (debounced) and every 5 s while dirty; local copy always
  var dirty = false, saving = false, timer = null;
  function setStatus(text, cls) { if (status) { status.textContent = text; status.className = cls || ""; } }
  function saveLocal() {
    try { localStorage.setItem(localKey, JSON.stringify({ answers: collect(), at: Date.now() })); } catch (e) {}
  }
  function save() {
    if (saving || !dirty) return;
    saving = true; dirty = false;
    var body = JSON.stringify({ answers: collect(), active_seconds: active });
    fetch("/api/v1/projects/" + project + "/records/" + record + "/draft", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: body
    }).then(function (r) {
      if (r.ok) { setStatus("Draft saved " + new Date().toLocaleTimeString(), "ok"); }
      else if (r.status === 409) { setStatus("Submitted", "ok"); }
      else { dirty = true; setStatus("Not saved (" + r.status + ") — kept on this device, retrying", "warn"); }
    }).catch(function () {
      dirty = true; setStatus("Offline — kept on this device, retrying", "warn");
    }).finally(function () { saving = false; });
  }
  function changed() {
    dirty = true; saveLocal();
    clearTimeout(timer); timer = setTimeout(save, 800);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  setInterval(save, 5000);
  window.addEventListener("pagehide", function () {
    if (!dirty) return;
    saveLocal();
    try {
      fetch("/api/v1/projects/" + project + "/records/" + record + "/draft", {
        method: "PUT", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ answers: collect(), active_seconds: active })
      });
    } catch (e) {}
  });

  // Restore a local copy that is newer than what the server had (e.g. typed while offline).
  try {
    var saved = JSON.parse(localStorage.getItem(localKey) || "null");
    if (saved && form.dataset.revision === "0" && Object.keys(saved.answers || {}).length) {
      Object.keys(saved.answers).forEach(function (name) {
        var a = saved.answers[name];
        Object.keys(a).forEach(function (field) {
          var els = form.querySelectorAll('[name="a.' + name + '.' + field + '"]');
          els.forEach(function (el) {
            if (el.type === "radio") el.checked = String(el.value) === String(a[field]);
            else el.value = a[field];
          });
        });
      });
      setStatus("Restored what you typed on this device", "ok");
      dirty = true; save();
    }
  } catch (e) {}
  form.addEventListener("submit", function () {
    activeInput.value = active.toFixed(0);
    try { localStorage.removeItem(localKey); } catch (e) {}
    dirty = false;
  });

  // ---- keyboard
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /text|search|number/.test(el.type)) ||
                  el.isContentEditable);
  }
  function pick(key) {
    var el = form.querySelector('.question input[type="radio"][data-key="' + key + '"]');
    if (!el) return false;
    el.checked = true;
    el.dispatchEvent(new Event("change", { bubbles: true }));
    if (el.value === "tie") {
      form.querySelectorAll('input[name$=".strength"]').forEach(function (s) { s.checked = false; });
    }
    return true;
  }
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault(); form.requestSubmit(); return;
    }
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault(); document.getElementById("skip-dialog").showModal(); return;
    }
    if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^[1-6]$/.test(e.key)) { if (pick(e.key)) e.preventDefault(); return; }
    if (e.key === "r" || e.key === "R") {
      var t = form.querySelector("textarea[data-text-question]");
      if (t) { e.preventDefault(); t.focus(); }
      return;
    }
    if (e.key === "?") { e.preventDefault(); document.getElementById("help-dialog").showModal(); }
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest("[data-action]");
    if (!a) return;
    if (a.dataset.action === "skip") document.getElementById("skip-dialog").showModal();
    if (a.dataset.action === "help") document.getElementById("help-dialog").showModal();
  });
})();
