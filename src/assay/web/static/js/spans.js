// Spans widget: mark character spans of a completion with a label and a correction note. Overlaps allowed.
// The widget shows each completion as plain text built from the exact stored string, so offsets are
// against the text as stored. Offsets are stored in Unicode code points (Python's str indexing); the DOM
// counts UTF-16 units, so every offset is converted at the boundary (emoji are 2 units, 1 code point).
// Mouse: select text, pick a label, write a note, Add. Keys: `/` find a phrase (Enter: next match),
// 1–9 label, `n` note, Enter add, `x` remove the last span, `0` "none found".
// Caret selection by keyboard: `c` (or Tab) focuses a response's text; ← → move a caret by a character,
// Ctrl/Alt+← → by a word, Home/End to the line's ends, ↑ ↓ to the line above/below (lines as stored, split
// at newlines); with Shift each of these extends the selection. The caret lives in our own state (code
// points into the stored text), not in the browser's selection, so it behaves the same in every browser.
(function () {
  "use strict";
  var A = window.Assay = window.Assay || { widgets: {} };

  // code point index <-> UTF-16 index, for one string
  function cpToU16(text, cp) { return Array.from(text).slice(0, cp).join("").length; }
  function u16ToCp(text, u) { return Array.from(text.slice(0, u)).length; }
  A.spanOffsets = { cpToU16: cpToU16, u16ToCp: u16ToCp };

  A.widgets.spans = function (fs, ctx) {
    var h = A.util.hidden(fs, ctx.name), texts = ctx.completions.map(function (c) { return c.text; });
    var views = fs.querySelectorAll("[data-span-text]"), listEl = fs.querySelector("[data-span-list]");
    var findInput = fs.querySelector("[data-span-find]"), noteInput = fs.querySelector("[data-span-note]");
    var selInfo = fs.querySelector("[data-span-selection]"), noneBox = fs.querySelector("[data-span-none]");
    var labelInputs = fs.querySelectorAll("input[data-span-label]");
    var spans = [], pending = null, touched = false, lastFind = { q: "", c: 0, at: -1 };
    var caret = null;  // {completion, pos, anchor|null} in code points while a text view has the focus

    function labelValue() {
      var v = ""; labelInputs.forEach(function (r) { if (r.checked) v = r.value; }); return v;
    }
    function paint() {
      views.forEach(function (view) {
        var ci = parseInt(view.dataset.spanText, 10), text = texts[ci] || "";
        var marks = spans.filter(function (s) { return s.completion === ci; }).map(function (s) {
          return { a: cpToU16(text, s.start), b: cpToU16(text, s.end), cls: "span-mark" };
        });
        if (pending && pending.completion === ci) {
          marks.push({ a: cpToU16(text, pending.start), b: cpToU16(text, pending.end), cls: "span-pending" });
        }
        var cuts = [0, text.length];
        marks.forEach(function (m) { cuts.push(m.a, m.b); });
        var caretAt = caret && caret.completion === ci ? cpToU16(text, caret.pos) : -1;
        if (caretAt >= 0) cuts.push(caretAt);
        cuts = cuts.filter(function (v, i, arr) { return arr.indexOf(v) === i; }).sort(function (x, y) { return x - y; });
        view.textContent = "";
        var caretEl = null;
        function putCaret() {
          caretEl = document.createElement("span"); caretEl.className = "span-caret";
          caretEl.setAttribute("aria-hidden", "true"); caretEl.dataset.testid = "span-caret";
          view.appendChild(caretEl);
        }
        for (var k = 0; k + 1 < cuts.length; k++) {
          if (cuts[k] === caretAt) putCaret();
          var a = cuts[k], b = cuts[k + 1], seg = document.createElement("span");
          seg.textContent = text.slice(a, b);
          var depth = 0, isPending = false;
          marks.forEach(function (m) {
            if (m.a <= a && b <= m.b) { if (m.cls === "span-pending") isPending = true; else depth++; }
          });
          if (depth) { seg.className = "span-mark depth-" + Math.min(depth, 3); }
          if (isPending) seg.classList.add("span-pending");
          view.appendChild(seg);
        }
        if (caretAt === text.length && text.length) putCaret();
        if (caretEl && caretEl.scrollIntoView) caretEl.scrollIntoView({ block: "nearest", inline: "nearest" });
      });
    }
    function renderList() {
      listEl.textContent = "";
      spans.forEach(function (s, i) {
        var li = document.createElement("li"), t = texts[s.completion] || "";
        var quote = Array.from(t).slice(s.start, s.end).join("");
        li.appendChild(document.createTextNode("Response " + A.util.LETTERS[s.completion] + " " + s.start + "–" +
          s.end + " “" + (quote.length > 60 ? quote.slice(0, 57) + "…" : quote) + "” "));
        var lab = document.createElement("strong"); lab.textContent = s.label; li.appendChild(lab);
        if (s.note) li.appendChild(document.createTextNode(" — " + s.note));
        var del = document.createElement("button");
        del.type = "button"; del.className = "secondary outline small"; del.textContent = "remove";
        del.setAttribute("aria-label", "Remove span " + (i + 1));
        del.addEventListener("click", function () { spans.splice(i, 1); changed(); });
        li.appendChild(document.createTextNode(" ")); li.appendChild(del);
        listEl.appendChild(li);
      });
      if (selInfo) {
        if (pending) {
          var t2 = texts[pending.completion];
          selInfo.textContent = "Selected in Response " + A.util.LETTERS[pending.completion] + ": “" +
            Array.from(t2).slice(pending.start, pending.end).join("") + "” (" + pending.start + "–" + pending.end + ")";
        } else selInfo.textContent = "Select text above, press / to find a phrase, or c for a keyboard caret.";
      }
    }
    function read() {
      if (!touched) return null;
      var out = { spans: spans.map(function (s) {
        return { completion: s.completion, start: s.start, end: s.end, label: s.label, note: s.note };
      }) };
      if (noneBox && noneBox.checked && !spans.length) out.none_found = true;
      return out;
    }
    function sync() { var v = read(); h.value = v ? JSON.stringify(v) : ""; }
    function changed() { touched = true; paint(); renderList(); sync(); A.util.fire(h); }
    function setPending(ci, startCp, endCp) {
      if (endCp <= startCp) return;
      pending = { completion: ci, start: startCp, end: endCp };
      paint(); renderList();
    }
    // A DOM selection inside one plain-text view → code point offsets in that completion's text.
    function fromSelection() {
      var sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
      var r = sel.getRangeAt(0);
      var view = (r.startContainer.nodeType === 1 ? r.startContainer : r.startContainer.parentNode).closest("[data-span-text]");
      if (!view || !view.contains(r.endContainer) || !fs.contains(view)) return;
      var ci = parseInt(view.dataset.spanText, 10), text = texts[ci];
      var pre = document.createRange();
      pre.selectNodeContents(view);
      pre.setEnd(r.startContainer, r.startOffset);
      var a = pre.toString().length, b = a + r.toString().length;
      setPending(ci, u16ToCp(text, a), u16ToCp(text, b));
      sel.removeAllRanges();
    }
    views.forEach(function (v) { v.addEventListener("mouseup", function () { setTimeout(fromSelection, 0); }); });

    // ---- caret selection by keyboard (see the header comment)
    var WORD = /[\p{L}\p{N}_]/u;
    function lineStart(ch, i) { while (i > 0 && ch[i - 1] !== "\n") i--; return i; }
    function lineEnd(ch, i) { while (i < ch.length && ch[i] !== "\n") i++; return i; }
    function moved(ch, pos, e) {
      var n = ch.length, word = e.ctrlKey || e.altKey || e.metaKey, i = pos;
      if (e.key === "ArrowRight") {
        if (!word) return Math.min(n, pos + 1);
        while (i < n && !WORD.test(ch[i])) i++;
        while (i < n && WORD.test(ch[i])) i++;
        return i;
      }
      if (e.key === "ArrowLeft") {
        if (!word) return Math.max(0, pos - 1);
        while (i > 0 && !WORD.test(ch[i - 1])) i--;
        while (i > 0 && WORD.test(ch[i - 1])) i--;
        return i;
      }
      if (e.key === "Home") return lineStart(ch, pos);
      if (e.key === "End") return lineEnd(ch, pos);
      var start = lineStart(ch, pos), col = pos - start;
      if (e.key === "ArrowUp") {
        if (start === 0) return 0;
        var ps = lineStart(ch, start - 1);
        return Math.min(ps + col, start - 1);
      }
      if (e.key === "ArrowDown") {
        var end = lineEnd(ch, pos);
        if (end >= n) return n;
        return Math.min(end + 1 + col, lineEnd(ch, end + 1));
      }
      return null;
    }
    function caretInfo() {
      if (!selInfo || !caret || pending) return;
      selInfo.textContent = "Caret in Response " + A.util.LETTERS[caret.completion] + " at " + caret.pos +
        " — Shift+arrows select (Ctrl for words), Enter adds, Esc leaves.";
    }
    views.forEach(function (v) {
      var ci = parseInt(v.dataset.spanText, 10);
      v.addEventListener("focus", function () {
        if (pending && pending.completion === ci) caret = { completion: ci, pos: pending.end, anchor: pending.start };
        else if (!caret || caret.completion !== ci) caret = { completion: ci, pos: 0, anchor: null };
        paint(); caretInfo();
      });
      v.addEventListener("blur", function () { caret = null; paint(); });
      v.addEventListener("keydown", function (e) {
        if (!caret) return;
        if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); fs.focus({ preventScroll: true }); return; }
        var ch = Array.from(texts[ci] || ""), to = moved(ch, caret.pos, e);
        if (to === null) return;  // other keys (labels, n, Enter, x …) go to the question as usual
        e.preventDefault(); e.stopPropagation();
        if (e.shiftKey) {
          if (caret.anchor === null) caret.anchor = caret.pos;
          caret.pos = to;
          if (caret.pos !== caret.anchor) {
            pending = { completion: ci, start: Math.min(caret.anchor, caret.pos), end: Math.max(caret.anchor, caret.pos) };
          } else pending = null;
        } else {
          caret.pos = to; caret.anchor = null;
          if (pending && pending.completion === ci) pending = null;
        }
        paint(); renderList(); caretInfo();
      });
    });
    function add() {
      if (!pending) return false;
      var label = labelValue();
      if (!label && labelInputs.length) {
        if (selInfo) selInfo.textContent = "Pick a label first (keys 1–" + labelInputs.length + ").";
        return true;
      }
      spans.push({ completion: pending.completion, start: pending.start, end: pending.end, label: label,
                   note: noteInput ? noteInput.value : "" });
      spans.sort(function (x, y) { return x.completion - y.completion || x.start - y.start || x.end - y.end; });
      pending = null;
      if (caret) caret.anchor = null;
      if (noteInput) noteInput.value = "";
      if (noneBox) noneBox.checked = false;
      changed();
      return true;
    }
    function find(q) {
      if (!q) return;
      var startC = lastFind.q === q ? lastFind.c : 0, from = lastFind.q === q ? lastFind.at + 1 : 0;
      for (var step = 0; step <= texts.length; step++) {
        var ci = (startC + step) % texts.length, t = texts[ci] || "";
        var at = t.indexOf(q, step === 0 ? from : 0);
        if (at >= 0) {
          lastFind = { q: q, c: ci, at: at };
          setPending(ci, u16ToCp(t, at), u16ToCp(t, at + q.length));
          return;
        }
      }
      if (selInfo) selInfo.textContent = "“" + q + "” not found.";
    }
    if (findInput) findInput.addEventListener("keydown", function (e) {
      // Enter: mark the next match and leave the box, so 1–9 / n / Enter apply (press / again for the next one)
      if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); find(findInput.value); fs.focus({ preventScroll: true }); }
    });
    if (noteInput) noteInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); e.stopPropagation(); add(); fs.focus({ preventScroll: true }); }
    });
    fs.addEventListener("click", function (e) {
      if (e.target.closest("[data-span-add]")) { e.preventDefault(); add(); }
    });
    if (noneBox) noneBox.addEventListener("change", function () { changed(); });
    paint(); renderList();
    return {
      get: read,
      set: function (a) {
        spans = (a.spans || []).map(function (s) {
          return { completion: s.completion, start: s.start, end: s.end, label: s.label || "", note: s.note || "" };
        });
        if (noneBox) noneBox.checked = !!a.none_found;
        touched = true; paint(); renderList(); sync();
      },
      key: function (e) {
        if (e.key === "/" && findInput) { findInput.focus(); findInput.select(); return true; }
        if (e.key === "c" && views.length) {  // caret mode: the next response's text (from A)
          var at = Array.prototype.indexOf.call(views, document.activeElement);
          views[(at + 1) % views.length].focus();
          return true;
        }
        if (e.key === "n" && noteInput) { noteInput.focus(); return true; }
        if (e.key === "Enter") return add();
        if (e.key === "x" && spans.length) { spans.pop(); changed(); return true; }
        if (e.key === "0" && noneBox) { noneBox.checked = !noneBox.checked; changed(); return true; }
        if (/^[1-9]$/.test(e.key)) {
          var r = labelInputs[parseInt(e.key, 10) - 1];
          if (r) { r.checked = true; return true; }
        }
        return false;
      },
      focus: function () { if (findInput) findInput.focus(); }
    };
  };
})();
