// The review page: keys for one item at a time (j/n next, k/p previous, a accept, r reject, u return, ? help),
// a check that a reject or return has a comment before the form is sent, and the typed comment kept in this tab
// (sessionStorage) while the reviewer moves between items. Without JavaScript the buttons and links do it all.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  var help = document.getElementById("review-help");
  var errorBox = document.getElementById("review-error");
  var box = document.getElementById("review-comment");
  var hint = document.querySelector("[data-review-hint]");
  var armed = form ? form.dataset.armed || "" : "";  // a refused reject/return comes back armed
  var NAMES = { rejected: "reject", returned: "send it back" };

  var filter = document.querySelector("[data-review-filter]");
  if (filter) {
    var sel = filter.querySelector("select");
    var apply = filter.querySelector("[data-filter-apply]");
    if (apply) apply.hidden = true;
    if (sel) sel.addEventListener("change", function () { filter.submit(); });
  }

  var key = form ? "assay:review:" + form.dataset.project + ":" + form.dataset.annotation : "";
  function store(v) {
    try { if (v) sessionStorage.setItem(key, v); else sessionStorage.removeItem(key); } catch (e) {}
  }
  if (box) {
    try {
      var kept = sessionStorage.getItem(key);
      if (kept && !box.value) box.value = kept;
    } catch (e) {}
    box.addEventListener("input", function () { store(box.value); if (box.value.trim()) showError(""); });
  }

  function showError(msg) {
    if (!errorBox) return;
    errorBox.textContent = msg; errorBox.hidden = !msg;
    if (box) { if (msg) box.setAttribute("aria-invalid", "true"); else box.removeAttribute("aria-invalid"); }
  }
  function say(msg) { if (hint) hint.textContent = msg; }
  function button(decision) { return form && form.querySelector('button[data-decision="' + decision + '"]'); }
  function send(decision) {
    var b = button(decision);
    if (!b) return;
    if (form.requestSubmit) form.requestSubmit(b); else b.click();
  }
  function arm(decision) {
    if (!button(decision)) { say("This item cannot be returned to its author."); return; }
    armed = decision;
    box.focus();
    say("Write why you " + NAMES[decision] + ", then Ctrl+Enter (Esc leaves the box).");
  }

  if (form) {
    form.addEventListener("submit", function (e) {
      var d = e.submitter ? e.submitter.value : armed;
      if (d && d !== "accepted" && !box.value.trim()) {
        e.preventDefault();
        showError("Say why you " + NAMES[d] + ": the comment is what the annotator reads.");
        armed = d; box.focus();
        return;
      }
      store("");  // the server keeps it if it refuses the decision
    });
  }

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
                  (el.tagName === "INPUT" && /text|search|number|email|url/.test(el.type)) || el.isContentEditable);
  }
  function go(sel, edge) {
    var a = document.querySelector(sel);
    if (a && a.href) window.location.assign(a.href); else say(edge);
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-review-help]") && help) help.showModal();
    if (e.target.closest("[data-review-close]") && help) help.close();
  });

  document.addEventListener("keydown", function (e) {
    if (help && help.open) return;
    var inBox = typing(document.activeElement);
    if (inBox && document.activeElement === box && (e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (armed) send(armed); else say("Choose first: Esc, then a (accept), r (reject) or u (return).");
      return;
    }
    if (e.key === "Escape" && inBox) { document.activeElement.blur(); say(""); return; }
    if (inBox || e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case "j": case "n": e.preventDefault(); go("[data-review-next]", "This is the last item of this view."); break;
      case "k": case "p": e.preventDefault(); go("[data-review-prev]", "This is the first item of this view."); break;
      case "a": if (form) { e.preventDefault(); send("accepted"); } break;
      case "r": if (form) { e.preventDefault(); arm("rejected"); } break;
      case "u": if (form) { e.preventDefault(); arm("returned"); } break;
      case "?": if (help) { e.preventDefault(); help.showModal(); } break;
      default: break;
    }
  });
})();
