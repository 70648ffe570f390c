// Question widgets for pairwise, text, labels and rating. Each factory gets (fieldset, ctx) and returns
// {get() -> answer|null, set(answer, initial), key(KeyboardEvent) -> handled?, focus()}.
// Rich widgets mirror their answer into a hidden `a.<question>.json` input so a plain form post works too.
(function () {
  "use strict";
  var A = window.Assay = window.Assay || { widgets: {} };
  var LETTERS = "ABCDEFGHI";

  function hidden(fs, name) { return fs.querySelector('input[name="a.' + name + '.json"]'); }
  function fire(el) { el.dispatchEvent(new Event("change", { bubbles: true })); }
  A.util = { hidden: hidden, fire: fire, LETTERS: LETTERS };

  // ---------------------------------------------------------------- pairwise: 1/2/3 choice, 4/5/6 strength
  A.widgets.pairwise = function (fs, ctx) {
    var n = ctx.name;
    function radios(field) { return fs.querySelectorAll('input[name="a.' + n + '.' + field + '"]'); }
    function val(field) {
      var v = null; radios(field).forEach(function (r) { if (r.checked) v = r.value; }); return v;
    }
    function check(field, value) { radios(field).forEach(function (r) { r.checked = String(r.value) === String(value); }); }
    fs.addEventListener("change", function (e) {
      if (e.target.name === "a." + n + ".choice" && e.target.value === "tie") check("strength", null);
    });
    return {
      get: function () {
        var c = val("choice");
        if (!c) return null;
        var s = val("strength");
        return c === "tie" ? { choice: "tie" } : (s ? { choice: c, strength: parseInt(s, 10) } : { choice: c });
      },
      set: function (a) { check("choice", a.choice); check("strength", a.choice === "tie" ? null : a.strength); },
      key: function (e) {
        var el = fs.querySelector('input[type="radio"][data-key="' + e.key + '"]');
        if (!el) return false;
        el.checked = true; fire(el); return true;
      },
      focus: function () { var r = fs.querySelector('input[type="radio"]'); if (r) r.focus(); }
    };
  };

  // ---------------------------------------------------------------- text: live counter; gold mode with diff
  function tokens(s) { return s.split(/(\s+)/).filter(function (t) { return t !== ""; }); }
  // Word diff by longest common subsequence; returns [[op, text]] with op in "=", "+", "-".
  function diff(a, b) {
    var x = tokens(a), y = tokens(b);
    // trim common prefix/suffix so typical edits stay cheap
    var pre = 0; while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
    var suf = 0; while (suf < x.length - pre && suf < y.length - pre &&
                        x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
    var xs = x.slice(pre, x.length - suf), ys = y.slice(pre, y.length - suf), out = [];
    if (pre) out.push(["=", x.slice(0, pre).join("")]);
    if (xs.length * ys.length > 4e6) { out.push(["-", xs.join("")]); out.push(["+", ys.join("")]); }
    else {
      var m = xs.length, k = ys.length, L = [], i, j;
      for (i = 0; i <= m; i++) { L.push(new Uint32Array(k + 1)); }
      for (i = m - 1; i >= 0; i--) for (j = k - 1; j >= 0; j--)
        L[i][j] = xs[i] === ys[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      i = 0; j = 0;
      while (i < m || j < k) {
        if (i < m && j < k && xs[i] === ys[j]) { out.push(["=", xs[i]]); i++; j++; }
        else if (j < k && (i === m || L[i][j + 1] >= L[i + 1][j])) { out.push(["+", ys[j]]); j++; }
        else { out.push(["-", xs[i]]); i++; }
      }
    }
    if (suf) out.push(["=", x.slice(x.length - suf).join("")]);
    var merged = [];
    out.forEach(function (p) {
      var last = merged[merged.length - 1];
      if (last && last[0] === p[0]) last[1] += p[1]; else merged.push([p[0], p[1]]);
    });
    return merged;
  }
  A.diff = diff;

  A.widgets.text = function (fs, ctx) {
    var ta = fs.querySelector("textarea"), counter = fs.querySelector("[data-counter]");
    var baseInput = fs.querySelector('input[name="a.' + ctx.name + '.base"]');
    var diffBox = fs.querySelector("[data-diff]");
    var min = parseInt(ctx.options.min_length || 0, 10) || 0;
    var dtimer = null;
    function len() { return Array.from(ta.value.trim()).length; }
    function update() {
      if (counter) {
        counter.textContent = len() + (min ? " / " + min : "") + " characters" +
          (min && len() < min ? " — " + (min - len()) + " to go" : "");
        counter.className = min && len() < min ? "warn" : "muted";
      }
      if (diffBox && baseInput && baseInput.value !== "") {
        clearTimeout(dtimer);
        dtimer = setTimeout(function () {
          var base = (ctx.completions[parseInt(baseInput.value, 10)] || {}).text || "";
          diffBox.textContent = "";
          var parts = diff(base, ta.value), changes = 0;
          parts.forEach(function (p) {
            var el = document.createElement(p[0] === "+" ? "ins" : p[0] === "-" ? "del" : "span");
            el.textContent = p[1]; diffBox.appendChild(el);
            if (p[0] !== "=") changes++;
          });
          var sum = fs.querySelector("[data-diff-summary]");
          if (sum) sum.textContent = changes ? changes + " change" + (changes > 1 ? "s" : "") + " against Response " +
            LETTERS[parseInt(baseInput.value, 10)] : "no changes yet against Response " + LETTERS[parseInt(baseInput.value, 10)];
        }, 120);
      }
    }
    function prefill(i) {
      var c = ctx.completions[i];
      if (!c || !baseInput) return false;
      var baseText = baseInput.value !== "" ? (ctx.completions[parseInt(baseInput.value, 10)] || {}).text : "";
      if (ta.value.trim() && ta.value !== baseText &&
          !window.confirm("Replace your text with Response " + LETTERS[i] + "?")) return true;
      ta.value = c.text; baseInput.value = String(i);
      fire(ta); update(); return true;
    }
    fs.addEventListener("click", function (e) {
      var b = e.target.closest("[data-prefill]");
      if (b) { e.preventDefault(); prefill(parseInt(b.dataset.prefill, 10)); }
    });
    ta.addEventListener("input", update);
    update();
    return {
      get: function () {
        if (!ta.value.trim() && !(baseInput && baseInput.value !== "")) return null;
        var out = { text: ta.value };
        if (baseInput && baseInput.value !== "") out.base = parseInt(baseInput.value, 10);
        return out;
      },
      set: function (a) {
        ta.value = a.text || "";
        if (baseInput && a.base !== undefined && a.base !== null) baseInput.value = String(a.base);
        update();
      },
      key: function (e) {
        if (e.key === "Enter") { ta.focus(); return true; }
        if (baseInput && /^[1-9]$/.test(e.key)) return prefill(parseInt(e.key, 10) - 1);
        return false;
      },
      focus: function () { ta.focus(); }
    };
  };

  // ---------------------------------------------------------------- labels: digits toggle, ←/→ completion
  A.widgets.labels = function (fs, ctx) {
    var h = hidden(fs, ctx.name), per = !!ctx.options.per_completion, multi = !!ctx.options.multi;
    var col = 0, touched = false;
    var groups = fs.querySelectorAll("[data-target]");  // one per record, or one per completion
    function boxes(g) { return g.querySelectorAll("input[data-label]"); }
    function read() {
      if (!touched) return null;
      if (per) {
        var out = {};
        groups.forEach(function (g) {
          out[g.dataset.target] = Array.prototype.filter.call(boxes(g), function (b) { return b.checked; })
            .map(function (b) { return b.dataset.label; });
        });
        return { per_completion: out };
      }
      return { labels: Array.prototype.filter.call(boxes(groups[0]), function (b) { return b.checked; })
        .map(function (b) { return b.dataset.label; }) };
    }
    function sync() { var v = read(); h.value = v ? JSON.stringify(v) : ""; }
    function mark() {
      groups.forEach(function (g, i) { g.classList.toggle("cell-current", per && i === col); });
    }
    fs.addEventListener("change", function (e) {
      if (!e.target.dataset.label) return;
      touched = true;
      if (!multi && e.target.checked) {
        boxes(e.target.closest("[data-target]")).forEach(function (b) { if (b !== e.target) b.checked = false; });
      }
      sync();
    });
    mark();
    return {
      get: read,
      set: function (a) {
        touched = true;
        groups.forEach(function (g) {
          var chosen = per ? ((a.per_completion || {})[g.dataset.target] || []) : (a.labels || []);
          boxes(g).forEach(function (b) { b.checked = chosen.indexOf(b.dataset.label) >= 0; });
        });
        sync();
      },
      key: function (e) {
        if (per && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
          col = Math.max(0, Math.min(groups.length - 1, col + (e.key === "ArrowRight" ? 1 : -1)));
          mark(); return true;
        }
        if (!/^[1-9]$/.test(e.key)) return false;
        var b = boxes(groups[per ? col : 0])[parseInt(e.key, 10) - 1];
        if (!b) return false;
        b.checked = !b.checked; fire(b); return true;
      },
      focus: function () { var b = fs.querySelector("input[data-label]"); if (b) b.focus(); }
    };
  };

  // ---------------------------------------------------------------- rating: ↑/↓ dimension, ←/→ completion, digits
  A.widgets.rating = function (fs, ctx) {
    var h = hidden(fs, ctx.name), dims = ctx.options.dimensions || [];
    var n = ctx.completions.length, row = 0, col = 0;
    function cell(i, d) { return fs.querySelector('[data-cell="' + i + ":" + d + '"]'); }
    function read() {
      var scores = {}, any = false;
      fs.querySelectorAll("input[data-score]:checked").forEach(function (r) {
        var p = r.dataset.score.split(":");
        scores[p[0]] = scores[p[0]] || {};
        scores[p[0]][p[1]] = parseInt(r.value, 10); any = true;
      });
      return any ? { scores: scores } : null;
    }
    function sync() { var v = read(); h.value = v ? JSON.stringify(v) : ""; }
    function mark() {
      fs.querySelectorAll("[data-cell]").forEach(function (c) { c.classList.remove("cell-current"); });
      var c = cell(col, dims[row] && dims[row].name);
      if (c) c.classList.add("cell-current");
    }
    fs.addEventListener("change", function (e) {
      if (!e.target.dataset.score) return;
      var p = e.target.dataset.score.split(":");
      col = parseInt(p[0], 10); row = dims.map(function (d) { return d.name; }).indexOf(p[1]);
      mark(); sync();
    });
    mark();
    return {
      get: read,
      set: function (a) {
        fs.querySelectorAll("input[data-score]").forEach(function (r) {
          var p = r.dataset.score.split(":");
          var v = ((a.scores || {})[p[0]] || {})[p[1]];
          r.checked = v !== undefined && String(v) === r.value;
        });
        sync();
      },
      key: function (e) {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          row = Math.max(0, Math.min(dims.length - 1, row + (e.key === "ArrowDown" ? 1 : -1))); mark(); return true;
        }
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          col = Math.max(0, Math.min(n - 1, col + (e.key === "ArrowRight" ? 1 : -1))); mark(); return true;
        }
        if (!/^[0-9]$/.test(e.key) || !dims[row]) return false;
        var r = fs.querySelector('input[data-score="' + col + ":" + dims[row].name + '"][value="' + e.key + '"]');
        if (!r) return false;
        r.checked = true; fire(r);
        // after a value, move on: next dimension, then next completion
        if (row < dims.length - 1) row++; else if (col < n - 1) { col++; row = 0; }
        mark(); return true;
      },
      focus: function () { var r = fs.querySelector("input[data-score]"); if (r) r.focus(); }
    };
  };
})();
