// The annotate page: question widgets, keyboard routing, autosave (server + local backup), submit with retry,
// active time. Widgets register in window.Assay.widgets (see widgets.js, ranking.js, spans.js).
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var A = window.Assay = window.Assay || { widgets: {} };
  var project = form.dataset.project, record = form.dataset.record;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var status = document.getElementById("save-status");
  var errorBox = document.getElementById("submit-error");
  var localKey = "assay:draft:" + project + ":" + record;
  var activeInput = form.querySelector('input[name="active_seconds"]');
  var apiBase = "/api/v1/projects/" + project + "/records/" + record;
  var data = JSON.parse((document.getElementById("record-data") || {}).textContent || "{}");
  A.completions = (data.completions || []).map(function (t) { return { text: t }; });

  function setStatus(text, cls) { if (status) { status.textContent = text; status.className = cls || ""; } }

  // ---- active time: a second counts only while the tab is visible and someone acted in the last N s
  var idleAfter = (parseInt(form.dataset.idle || "60", 10) || 60) * 1000;
  var active = parseFloat(form.dataset.active || "0") || 0;
  var todayBase = parseFloat(form.dataset.today || "0") || 0;  // today's seconds on other records
  var lastInput = Date.now();
  var clock = document.getElementById("active-clock");
  ["keydown", "mousedown", "mousemove", "wheel", "touchstart", "input", "scroll"].forEach(function (ev) {
    document.addEventListener(ev, function () { lastInput = Date.now(); }, { passive: true, capture: true });
  });
  function fmt(s) {
    s = Math.floor(s); var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (x < 10 ? "0" : "") + x;
  }
  function showClock(idle) {
    if (!clock) return;
    clock.textContent = (idle ? "paused · " : "") + "active " + fmt(active) + " on this record · " +
      fmt(todayBase + active) + " today";
    clock.className = idle ? "warn" : "muted";
  }
  setInterval(function () {
    var idle = document.visibilityState !== "visible" || Date.now() - lastInput >= idleAfter;
    if (!idle) { active += 1; activeInput.value = active.toFixed(0); }
    showClock(idle);
  }, 1000);
  showClock(false);

  // ---- widgets
  var questions = [];
  var current = 0;
  function changed() { markDirty(); }
  form.querySelectorAll("fieldset.question").forEach(function (fs, i) {
    var kind = fs.dataset.kind, make = A.widgets[kind];
    var opts = JSON.parse(fs.dataset.options || "{}");
    var initial = JSON.parse(fs.dataset.answer || "null");
    var w = make ? make(fs, { options: opts, name: fs.dataset.question, changed: changed,
                              completions: A.completions }) : null;
    if (w && initial && Object.keys(initial).length && w.set) w.set(initial, true);
    questions.push({ el: fs, name: fs.dataset.question, widget: w,
                     suggestion: JSON.parse(fs.dataset.suggestion || "null") });
    fs.addEventListener("focusin", function () { setCurrent(i, false); });
    fs.addEventListener("mousedown", function () { setCurrent(i, false); });
  });
  function setCurrent(i, focus) {
    if (!questions.length) return;
    current = Math.max(0, Math.min(questions.length - 1, i));
    questions.forEach(function (q, j) { q.el.classList.toggle("current", j === current); });
    if (focus) {
      // focus the question itself (not a text box), so its own keys apply; Tab goes into its fields
      var q = questions[current];
      q.el.focus({ preventScroll: true });
      q.el.scrollIntoView({ block: "nearest" });
    }
  }
  setCurrent(0, false);

  function collect() {
    var out = {};
    questions.forEach(function (q) {
      if (!q.widget) {
        var h = q.el.querySelector('input[name="a.' + q.name + '.json"]');
        if (h && h.value) { try { out[q.name] = JSON.parse(h.value); } catch (e) {} }
        return;
      }
      var v = q.widget.get();
      if (v && Object.keys(v).length) out[q.name] = v;
    });
    return out;
  }
  function apply(answers) {
    questions.forEach(function (q) {
      if (q.widget && q.widget.set && answers[q.name]) q.widget.set(answers[q.name], false);
    });
  }
  A.collect = collect;

  // ---- autosave: on every change (debounced) and every 4 s while dirty; a local copy always, marked
  // unsynced until the server acknowledged exactly that content.
  var dirty = false, saving = false, timer = null, submitted = form.dataset.status === "submitted";
  // Once the page starts to leave (reload, link, close), a save acknowledged from then on no longer marks the
  // local copy synced: the next page may already have been rendered from the server before that save was
  // stored, and would then show the older draft and drop the local copy. Unsynced, the next page restores it.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function (e) { if (e.persisted) leaving = false; });
  function saveLocal(synced) {
    try {
      localStorage.setItem(localKey, JSON.stringify({ answers: collect(), active: active, at: Date.now(),
                                                      synced: !!synced }));
    } catch (e) {}
  }
  function markDirty() {
    dirty = true; saveLocal(false);
    setStatus("Editing…", "muted");
    clearTimeout(timer); timer = setTimeout(save, 600);
  }
  function save() {
    if (saving || !dirty || submitting) return;
    if (submitted) { dirty = false; setStatus("Submitted — edit and press Ctrl+Enter to resubmit", "warn"); return; }
    saving = true; dirty = false;
    var answers = collect(), body = JSON.stringify({ answers: answers, active_seconds: active });
    fetch(apiBase + "/draft", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: body
    }).then(function (r) {
      if (r.ok) {
        if (!dirty && !leaving) saveLocal(true);
        setStatus("Draft saved " + new Date().toLocaleTimeString(), "ok");
      } else if (r.status === 409) {
        submitted = true; setStatus("Submitted — edit and press Ctrl+Enter to resubmit", "warn");
      } else { dirty = true; setStatus("Not saved (" + r.status + ") — kept on this device, retrying", "warn"); }
    }).catch(function () {
      dirty = true; setStatus("Offline — kept on this device, will sync when back", "warn");
    }).finally(function () { saving = false; });
  }
  form.addEventListener("input", function (e) { if (!e.target.closest("[data-no-save]")) markDirty(); });
  form.addEventListener("change", function (e) { if (!e.target.closest("[data-no-save]")) markDirty(); });
  setInterval(save, 4000);
  window.addEventListener("online", function () { save(); if (pendingSubmit) sendSubmit(); });
  window.addEventListener("pagehide", function () {
    if (!dirty || submitting) return;
    saveLocal(false);
    try {
      fetch(apiBase + "/draft", {
        method: "PUT", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ answers: collect(), active_seconds: active })
      });
    } catch (e) {}
  });

  // Restore a local copy the server never acknowledged (typed offline, or the server was down).
  try {
    var saved = JSON.parse(localStorage.getItem(localKey) || "null");
    if (saved && !saved.synced && saved.answers && Object.keys(saved.answers).length) {
      apply(saved.answers);
      if (saved.active > active) { active = saved.active; activeInput.value = active.toFixed(0); }
      setStatus("Restored unsaved work from this device", "ok");
      dirty = true; setTimeout(save, 50);
    }
  } catch (e) {}

  // ---- submit: JSON to the page's own submit URL, with retry; never lost, never doubled: every attempt of one
  // submit carries the same client-made id, which the server records with the revision, so a retry of a
  // submit that did reach it is recognised and not recorded again. A new id for every new submit.
  var submitting = false, pendingSubmit = false, retryTimer = null, attempt = 0, submissionId = "";
  function newSubmissionId() {
    submissionId = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : String(Date.now()) + "-" + Math.random().toString(36).slice(2);
  }
  newSubmissionId();
  // back/forward cache: a page restored after a submit must not reuse the id of the submit it already made
  window.addEventListener("pageshow", function (e) { if (e.persisted) { newSubmissionId(); submitting = false; } });
  function showError(msg) {
    if (!errorBox) return;
    errorBox.textContent = msg || ""; errorBox.hidden = !msg;
    if (msg) errorBox.scrollIntoView({ block: "nearest" });
  }
  function sendSubmit() {
    clearTimeout(retryTimer);
    var answers = collect();
    saveLocal(false);
    activeInput.value = active.toFixed(0);
    setStatus(attempt ? "Submitting (retry " + attempt + ")…" : "Submitting…", "muted");
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json",
                 "X-Submission-Id": submissionId },
      body: JSON.stringify({ answers: answers, active_seconds: active, submission_id: submissionId })
    }).then(function (r) {
      if (r.ok) {
        pendingSubmit = false; newSubmissionId();
        try { localStorage.removeItem(localKey); } catch (e) {}
        setStatus("Submitted", "ok");
        window.location.assign("/projects/" + project + "/next");
        return;
      }
      if (r.status === 401 || r.status === 403) {  // session gone: the classic form post asks to sign in
        pendingSubmit = false; submitting = false; HTMLFormElement.prototype.submit.call(form); return;
      }
      if (r.status >= 500) throw new Error("server " + r.status);
      return r.json().catch(function () { return {}; }).then(function (body) {
        pendingSubmit = false; submitting = false; newSubmissionId();
        showError((body.error && body.error.message) || ("Not submitted (" + r.status + ")"));
        setStatus("Not submitted — fix the answer and submit again", "warn");
        dirty = true; save();
      });
    }).catch(function () {
      attempt += 1;
      var wait = Math.min(15, Math.pow(2, Math.min(attempt - 1, 4)));
      setStatus("Network problem — your answer is kept; retrying in " + wait + " s", "warn");
      retryTimer = setTimeout(sendSubmit, wait * 1000);
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (submitting) return;
    submitting = true; pendingSubmit = true; attempt = 0; showError("");
    clearTimeout(timer);
    (function whenIdle() { if (saving) setTimeout(whenIdle, 40); else sendSubmit(); })();
  });

  // ---- suggestions
  function accept(q) {
    if (!q || !q.suggestion || !q.widget || !q.widget.set) return false;
    q.widget.set(q.suggestion.answer, false);
    q.el.classList.add("from-suggestion");
    markDirty();
    return true;
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest("[data-action]");
    if (!a) return;
    var act = a.dataset.action;
    if (act === "skip") document.getElementById("skip-dialog").showModal();
    if (act === "help") document.getElementById("help-dialog").showModal();
    if (act === "layout") toggleLayout();
    if (act === "accept-suggestion") {
      var fs = a.closest("fieldset.question");
      accept(questions.filter(function (q) { return q.el === fs; })[0]);
    }
  });

  // ---- layout (side by side / stacked), remembered on this device
  var comps = document.getElementById("completions");
  function setLayout(mode) {
    if (!comps) return;
    comps.classList.toggle("side-by-side", mode === "side");
    comps.classList.toggle("stacked", mode !== "side");
    comps.dataset.layout = mode;
  }
  function toggleLayout() {
    var mode = comps && comps.dataset.layout === "side" ? "stacked" : "side";
    setLayout(mode);
    try { localStorage.setItem("assay:layout", mode); } catch (e) {}
  }
  try { var lay = localStorage.getItem("assay:layout"); if (lay) setLayout(lay); } catch (e) {}

  // ---- keyboard
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
                  (el.tagName === "INPUT" && /text|search|number|email|url/.test(el.type)) || el.isContentEditable);
  }
  A.typing = typing;
  document.addEventListener("keydown", function (e) {
    if (document.querySelector("dialog[open]")) return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); form.requestSubmit(); return; }
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault(); document.getElementById("skip-dialog").showModal(); return;
    }
    if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { e.preventDefault(); document.getElementById("help-dialog").showModal(); return; }
    if (e.key === "j") { e.preventDefault(); setCurrent(current + 1, true); return; }
    if (e.key === "k") { e.preventDefault(); setCurrent(current - 1, true); return; }
    if (e.key === "A" && e.shiftKey) { if (accept(questions[current])) e.preventDefault(); return; }
    if (e.key === "L" && e.shiftKey) { e.preventDefault(); toggleLayout(); return; }
    if (e.key === "r") {
      var t = form.querySelector("textarea[data-text-question]");
      if (t) { e.preventDefault(); setCurrent(questions.map(function (q) { return q.el; })
        .indexOf(t.closest("fieldset.question")), false); t.focus(); }
      return;
    }
    var q = questions[current];
    if (q && q.widget && q.widget.key && q.widget.key(e)) { e.preventDefault(); }
  });
})();
