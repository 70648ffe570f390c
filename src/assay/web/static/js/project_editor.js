// The project editor (templates/project_setup.html): keeps track of which side (form or YAML) was edited
// last, adds / removes / moves question rows, numbers the YAML's lines and marks the ones with errors, and
// jumps to an error's line. The preview and the sync between the sides are htmx requests (see the template).
(function () {
  "use strict";

  function editor() { return document.getElementById("yaml-editor"); }
  function fields() { return document.getElementById("spec-form-fields"); }

  function setSource(value) {
    var el = document.querySelector("[data-source]");
    if (el) el.value = value;
  }

  // --- the YAML gutter ----------------------------------------------------------------------------------
  function errorLines() {
    var box = document.getElementById("editor-errors");
    var raw = box ? box.getAttribute("data-lines") || "" : "";
    var out = {};
    raw.split(",").forEach(function (x) { if (x) out[x] = true; });
    return out;
  }

  function drawGutter() {
    var ta = editor();
    var gutter = document.querySelector("[data-gutter]");
    if (!ta || !gutter) return;
    var n = ta.value.split("\n").length;
    var bad = errorLines();
    var html = [];
    for (var i = 1; i <= n; i++) {
      html.push(bad[String(i)] ? '<span class="bad" data-testid="gutter-error">' + i + "</span>" : String(i));
    }
    gutter.innerHTML = html.join("\n");
    gutter.scrollTop = ta.scrollTop;
  }

  function gotoLine(line) {
    var ta = editor();
    if (!ta) return;
    var lines = ta.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || "").length;
    ta.focus();
    ta.setSelectionRange(start, end);
    var lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (line - 4) * lh);
    drawGutter();
  }

  // --- question rows --------------------------------------------------------------------------------------
  function renumber() {
    var rows = document.querySelectorAll("[data-q-list] [data-q-row]");
    rows.forEach(function (row, i) {
      var num = row.querySelector("[data-q-number]");
      if (num) num.textContent = String(i + 1);
    });
  }

  function nextIndex() {
    var max = -1;
    document.querySelectorAll("[data-q-list] [name$='-name']").forEach(function (el) {
      var m = /^q-(\d+)-name$/.exec(el.name);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    return max + 1;
  }

  function changed() {
    renumber();
    setSource("form");
    var f = fields();
    if (f && window.htmx) window.htmx.trigger(f, "qchange");
  }

  function addRow() {
    var tpl = document.querySelector("[data-q-template]");
    var list = document.querySelector("[data-q-list]");
    if (!tpl || !list) return;
    var i = nextIndex();
    var html = tpl.innerHTML.replace(/q-9999-/g, "q-" + i + "-");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    var name = row.querySelector("[name='q-" + i + "-name']");
    if (name) name.value = "question_" + (list.children.length + 1);
    list.appendChild(row);
    changed();
    if (name) name.focus();
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("[data-q-add]")) { e.preventDefault(); addRow(); return; }
    var row = t.closest("[data-q-row]");
    if (row && t.closest("[data-q-remove]")) { row.remove(); changed(); return; }
    var move = t.closest("[data-q-move]");
    if (row && move) {
      var up = move.getAttribute("data-q-move") === "up";
      var other = up ? row.previousElementSibling : row.nextElementSibling;
      if (other) {
        if (up) other.before(row); else other.after(row);
        changed();
      }
      return;
    }
    var go = t.closest("[data-goto-line]");
    if (go) { e.preventDefault(); gotoLine(parseInt(go.getAttribute("data-goto-line"), 10)); }
  });

  document.addEventListener("input", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.id === "yaml-editor") { setSource("yaml"); drawGutter(); }
    else if (t.closest("#spec-form-fields")) setSource("form");
  });

  document.addEventListener("keydown", function (e) {
    var ta = e.target;
    if (!(ta instanceof HTMLTextAreaElement) || ta.id !== "yaml-editor" || e.key !== "Tab" || e.shiftKey) return;
    e.preventDefault();  // two spaces, as YAML wants (Esc then Tab leaves the box)
    ta.setRangeText("  ", ta.selectionStart, ta.selectionEnd, "end");
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("keyup", function (e) {
    var ta = e.target;
    if (ta instanceof HTMLTextAreaElement && ta.id === "yaml-editor" && e.key === "Escape") ta.blur();
  });

  document.addEventListener("scroll", function (e) {
    if (e.target && e.target.id === "yaml-editor") {
      var g = document.querySelector("[data-gutter]");
      if (g) g.scrollTop = e.target.scrollTop;
    }
  }, true);

  document.addEventListener("htmx:afterSettle", drawGutter);
  document.addEventListener("htmx:oobAfterSwap", drawGutter);
  document.addEventListener("submit", function (e) {
    if (e.target && e.target.matches && e.target.matches("[data-preview-form]")) { e.preventDefault(); return; }
    // the side edited last is the truth; a pending preview request must not swap the form away mid-submit
    if (e.target && e.target.id === "project-editor" && window.htmx) {
      var f = fields(); var ta = editor();
      if (f) window.htmx.trigger(f, "htmx:abort");
      if (ta) window.htmx.trigger(ta, "htmx:abort");
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawGutter);
  else drawGutter();
})();
