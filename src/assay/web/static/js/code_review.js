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

  function init() { document.querySelectorAll("[data-cr]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
