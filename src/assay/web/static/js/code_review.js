// The code_review question: mirrors the verdict / preference / tests / rationale controls into the hidden
// `a.<question>.json` input that annotate.js saves and submits, and makes the tests box indent with Tab.
// Runs themselves are htmx requests declared in the templates (no inline script; the CSP forbids it).
(function () {
  "use strict";

  function checked(root, sel) {
    var el = root.querySelector(sel + ":checked");
    return el ? el.value : null;
  }

  function answerOf(root) {
    var verdicts = {};
    root.querySelectorAll("input[data-cr-verdict]:checked").forEach(function (r) {
      verdicts[r.dataset.crVerdict] = r.value;
    });
    var tests = (root.querySelector("[data-cr-tests]") || {}).value || "";
    var rationale = (root.querySelector("[data-cr-rationale]") || {}).value || "";
    var choice = checked(root, "input[data-cr-choice]");
    var strength = checked(root, "input[data-cr-strength]");
    var out = { verdicts: verdicts, tests: tests, rationale: rationale };
    if (choice) {
      out.preference = choice === "tie" ? { choice: "tie" } : { choice: choice, strength: strength ? parseInt(strength, 10) : null };
    }
    var empty = !Object.keys(verdicts).length && !tests.trim() && !rationale.trim() && !choice;
    return empty ? null : out;
  }

  function sync(root) {
    var hidden = root.parentElement.querySelector("input[data-cr-answer]");
    if (!hidden) return;
    var a = answerOf(root);
    hidden.value = a ? JSON.stringify(a) : "";
  }

  function indent(e) {
    var t = e.target;
    if (e.key !== "Tab" || !t.matches("[data-cr-tests]")) return;
    e.preventDefault();
    var start = t.selectionStart, end = t.selectionEnd, v = t.value;
    var lineStart = v.lastIndexOf("\n", start - 1) + 1;
    if (e.shiftKey) {
      var strip = v.slice(lineStart, lineStart + 4).match(/^ */)[0].length;
      t.value = v.slice(0, lineStart) + v.slice(lineStart + strip);
      t.selectionStart = t.selectionEnd = Math.max(lineStart, start - strip);
    } else {
      t.value = v.slice(0, start) + "    " + v.slice(end);
      t.selectionStart = t.selectionEnd = start + 4;
    }
    t.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function setup(root) {
    if (root.dataset.crReady) return;
    root.dataset.crReady = "1";
    // Runs on the fieldset before the form's autosave listener, so the saved JSON is current.
    root.addEventListener("input", function () { sync(root); });
    root.addEventListener("change", function (e) {
      if (e.target.matches("input[data-cr-choice]") && e.target.value === "tie") {
        root.querySelectorAll("input[data-cr-strength]").forEach(function (r) { r.checked = false; });
      }
      sync(root);
    });
    root.addEventListener("keydown", indent);
    sync(root);
  }

  // ---- keys while the code-review question is the current one (annotate.js routes the others; listed in
  // the page's ? help): ←/→ candidate, c/b/f its verdict, 1/2/3 + 4/5/6 preference and strength, v run the
  // candidate's visible tests, m run my tests, t / n write tests / rationale.
  var VERDICT_KEYS = { c: "correct", b: "buggy", f: "fails_to_run" };
  var CHOICE_KEYS = { "1": "a", "2": "b", "3": "tie" }, STRENGTH_KEYS = { "4": "1", "5": "2", "6": "3" };

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable ||
                  (el.tagName === "INPUT" && /text|search|number|email|url/.test(el.type)));
  }
  function pick(root, sel) {
    var el = root.querySelector(sel);
    if (!el) return false;
    el.checked = true;
    el.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }
  function markCandidate(root) {
    var col = parseInt(root.dataset.crCol || "0", 10);
    root.querySelectorAll(".cr-verdicts [data-testid^=verdict-]").forEach(function (row, i) {
      row.classList.toggle("cell-current", i === col);
    });
  }
  function key(root, e) {
    var n = parseInt(root.dataset.candidates || "0", 10), col = parseInt(root.dataset.crCol || "0", 10);
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      root.dataset.crCol = String(Math.max(0, Math.min(n - 1, col + (e.key === "ArrowRight" ? 1 : -1))));
      markCandidate(root);
      return true;
    }
    if (VERDICT_KEYS[e.key]) {
      return pick(root, 'input[data-cr-verdict="' + col + '"][value="' + VERDICT_KEYS[e.key] + '"]');
    }
    if (CHOICE_KEYS[e.key]) return pick(root, 'input[data-cr-choice][value="' + CHOICE_KEYS[e.key] + '"]');
    if (STRENGTH_KEYS[e.key]) {
      var tie = root.querySelector('input[data-cr-choice][value="tie"]:checked');
      return !tie && pick(root, 'input[data-cr-strength][value="' + STRENGTH_KEYS[e.key] + '"]');
    }
    var target = { v: "[data-testid=run-visible-" + col + "]", m: "[data-testid=run-my-tests]" }[e.key];
    if (target) { var b = root.querySelector(target); if (b) b.click(); return !!b; }
    var box = { t: "[data-cr-tests]", n: "[data-cr-rationale]" }[e.key];
    if (box) { var el = root.querySelector(box); if (el) el.focus(); return !!el; }
    return false;
  }
  document.addEventListener("keydown", function (e) {
    if (document.querySelector("dialog[open]") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(document.activeElement)) return;
    var fs = document.querySelector("fieldset.question.current");
    var root = fs && fs.querySelector("[data-cr]");
    if (root && key(root, e)) e.preventDefault();
  });

  function init() {
    document.querySelectorAll("[data-cr]").forEach(function (root) { setup(root); markCandidate(root); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
